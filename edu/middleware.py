"""Refuse input no database column can hold before any view sees it."""

import zoneinfo

from csp.constants import UNSAFE_INLINE
from django.contrib.auth.middleware import get_user
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .errors import error_response, is_api

NUL = "\x00"


class RejectNulMiddleware:
    """A NUL byte in the path, the query, a form field or a header is a 400 with a
    message (PostgreSQL refuses NUL in text; SQLite would store it). In JSON
    bodies DRF's serializers refuse it, naming the field."""

    message = "The request contains a NUL character (\\u0000), which is not allowed."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            return error_response(request, self.message, 400)
        return self.get_response(request)

    def _has_nul(self, request):
        if NUL in request.path or NUL in request.META.get("QUERY_STRING", ""):
            return True
        if any(NUL in k or NUL in v for k, values in request.GET.lists() for v in [k, *values]):
            return True
        if any(NUL in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS") or is_api(request):
            # API bodies are JSON: DRF's serializers refuse NUL with a field message.
            return False
        try:
            fields = request.POST.lists()  # form fields; uploaded files are checked by readers
        except Exception:  # too big or malformed: the view's own handling answers
            return False
        return any(NUL in k or NUL in v for k, values in fields for v in [k, *values])


class UserTimeZoneMiddleware:
    """Show times in the signed-in user's time zone (their account setting).

    That loads the user on every request, so the lazy `request.user` that
    AuthenticationMiddleware sets is replaced by the user itself: a page reads
    it a hundred times, and each read through the proxy costs a raised and
    caught AttributeError.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if isinstance(user, SimpleLazyObject):
            user = request.user = get_user(request)  # loaded once per request
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


class AdminStylesCSPMiddleware:
    """Django's admin scripts set inline styles: on /admin/ only, the CSP allows
    inline *styles* (never inline scripts). Listed after CSPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return response
