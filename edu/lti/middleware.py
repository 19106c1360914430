"""Framing: the site is never framed, except by the LMS a user launched from.

For a request in an LTI session (or a refused launch from a registered
platform), the CSP's frame-ancestors lists that platform's origins and
X-Frame-Options is dropped; everywhere else both stay as configured
('none', DENY). Listed after CSPMiddleware (so it runs first on the response).
"""

from django.conf import settings

from . import selectors
from .views import REGISTRATION_KEY


class LtiFramingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        registration = getattr(request, "lti_frame_registration", None)
        session = getattr(request, "session", None)
        if registration is None and session is not None:
            registration = session.get(REGISTRATION_KEY)
        if registration is None or request.path.startswith("/admin/"):
            return response
        origins = selectors.frame_origins(registration)
        if origins:
            replace = dict(getattr(response, "_csp_replace", None) or {})
            replace["frame-ancestors"] = origins
            response._csp_replace = replace
            response.xframe_options_exempt = True
        return response


class LtiCookieMiddleware:
    """Over HTTPS, an LTI session's session and CSRF cookies are sent SameSite=None
    and Secure, so that they come back from inside the LMS's iframe. Listed
    before SessionMiddleware (so it sees the cookies those middlewares set)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not (settings.LTI_IFRAME_COOKIES and request.is_secure()):
            return response
        session = getattr(request, "session", None)
        if session is None or session.get(REGISTRATION_KEY) is None:
            return response
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            if name in response.cookies and response.cookies[name].value:
                response.cookies[name]["samesite"] = "None"
                response.cookies[name]["secure"] = True
        return response
