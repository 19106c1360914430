"""LTI endpoints: thin. The protocol lives in protocol.py, the writes in services.py."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from lti_tool.constants import SESSION_KEY
from lti_tool.utils import get_launch_from_request
from lti_tool.views import jwks as library_jwks
from pylti1p3.exception import LtiException

from edu.courses.permissions import instructor_required

from . import protocol, selectors, services

log = logging.getLogger(__name__)
REGISTRATION_KEY = "lti_registration"


def _backend():
    """The configured backend that signs users in by account (ModelBackend or a
    subclass, whichever the site uses): a launch signs in without a password."""
    for path in settings.AUTHENTICATION_BACKENDS:
        if issubclass(import_string(path), ModelBackend):
            return path
    raise ImproperlyConfigured("LTI launches need ModelBackend in AUTHENTICATION_BACKENDS.")


def refuse(request, exc, *, issuer=None):
    """The clear page for a refused launch, framed for a registered platform."""
    registration = selectors.registration_for_issuer(issuer)
    if registration is not None:
        request.lti_frame_registration = registration.pk
    return render(
        request, "lti/refused.html", {"message": exc.message, "detail": exc.detail},
        status=exc.status,
    )


def _unverified_issuer(request):
    """The issuer a refused launch claims (for framing its error page only)."""
    import jwt  # PyJWT comes with pylti1p3

    try:
        return jwt.decode(request.POST.get("id_token", ""),
                          options={"verify_signature": False}).get("iss")
    except (jwt.PyJWTError, AttributeError):
        return None


def jwks(request):
    """The tool's public keys (JWKS), for platforms to check what the tool signs."""
    return library_jwks(request)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request, registration_uuid=None):
    """OIDC third-party login initiation: the platform's first request of a launch."""
    try:
        return protocol.oidc_login_redirect(
            request, launch_url=request.build_absolute_uri(reverse("lti:launch")),
            registration_uuid=registration_uuid,
        )
    except protocol.LaunchRefused as exc:
        params = request.POST if request.method == "POST" else request.GET
        return refuse(request, exc, issuer=params.get("iss"))


def _resource(launch):
    key = protocol.custom(launch, "resource")
    if key:
        return selectors.resource_for(key)
    return selectors.default_resource()


@csrf_exempt
@require_POST
def launch(request):
    """The platform's form post with the id_token: validate, sign in, send on."""
    try:
        lti_launch = protocol.validate_launch(request)
        if lti_launch.is_resource_launch:
            resource = _resource(lti_launch)
            if resource is None:
                raise protocol.LaunchRefused(
                    "This LMS link does not name a lesson, quiz or course the module offers "
                    "(it may have been unpublished). Ask your instructor to link it again.",
                    f"custom resource {protocol.custom(lti_launch, 'resource')!r}", status=404,
                )
        elif lti_launch.is_deep_link_launch:
            resource = None
            if not services.is_teaching_launch(lti_launch):
                raise protocol.LaunchRefused(
                    "Only instructors can add the module's content to an LMS course.",
                    "deep linking request without a teaching role",
                )
        else:
            raise protocol.LaunchRefused(
                "This kind of LTI message is not supported.",
                f"message type {lti_launch.get_claim('https://purl.imsglobal.org/spec/lti/claim/message_type')}",
                status=400,
            )
        user, link, teaching = services.accept_launch(
            launch=lti_launch, resource=resource, request=request
        )
    except protocol.LaunchRefused as exc:
        return refuse(request, exc, issuer=_unverified_issuer(request))
    request.session.flush()
    login(request, user, backend=_backend())
    request.session[REGISTRATION_KEY] = lti_launch.registration.pk
    request.session[SESSION_KEY] = lti_launch.get_launch_id()
    if lti_launch.is_deep_link_launch:
        destination = reverse("lti:deep_link")
    elif teaching and link:
        destination = link.cohort.get_absolute_url()
        messages.info(request, f"Opened from your LMS: {link.cohort.name}.")
    elif teaching:
        destination = reverse("courses:teach")
    else:
        destination = resource.get_absolute_url()
    token = services.start_handoff(user=user, destination=destination)
    return redirect("lti:continue", token=token)


def continue_launch(request, token):
    """After a launch: the session cookie came back (go on), or the LMS frame
    blocks cookies: offer the same link in a new window, where it signs in once."""
    found = services.peek_handoff(token=token)
    if found is None:
        return render(request, "lti/refused.html", {
            "message": "This link has expired or was already used. Open the activity again "
                       "from your course in the LMS.",
        }, status=410)
    if request.user.is_authenticated and request.user.pk == found["user"]:
        services.take_handoff(token=token)
        return _go(found["to"])
    if request.GET.get("window") == "new":
        found = services.take_handoff(token=token)
        user = get_user_model().objects.filter(pk=(found or {}).get("user"), is_active=True).first()
        if user is None:
            return render(request, "lti/refused.html", {
                "message": "This link has expired or was already used. Open the activity "
                           "again from your course in the LMS.",
            }, status=410)
        login(request, user, backend=_backend())
        return _go(found["to"])
    return render(request, "lti/cookies_blocked.html", {"token": token})


def _go(destination):
    if not url_has_allowed_host_and_scheme(destination, allowed_hosts=None):
        destination = reverse("courses:home")
    return HttpResponseRedirect(destination)


def _deep_link_launch(request):
    launch_id = request.session.get(SESSION_KEY)
    if not launch_id or not request.user.is_authenticated:
        return None
    try:
        lti_launch = get_launch_from_request(request, launch_id)
    except LtiException:
        return None
    if not lti_launch.is_deep_link_launch or not services.is_teaching_launch(lti_launch):
        return None
    return lti_launch


@require_http_methods(["GET", "POST"])
def deep_link(request):
    """An instructor picks what the LMS link opens: a lesson, a quiz or the course."""
    lti_launch = _deep_link_launch(request)
    if lti_launch is None:
        return render(request, "lti/refused.html", {
            "message": "Add content from your LMS: this page opens from the LMS's "
                       "\"add external tool\" dialog, for instructors.",
        }, status=403)
    error = None
    if request.method == "POST":
        resource = selectors.resource_for(request.POST.get("resource", ""))
        if resource is not None:
            return_url = protocol.deep_link_return_url(lti_launch)
            line_item = None
            if resource.kind == "quiz":
                line_item = {"label": resource.title, "scoreMaximum": 100,
                             "resourceId": resource.key, "tag": "quiz"}
            token = protocol.deep_link_jwt(
                lti_launch, title=resource.title,
                url=request.build_absolute_uri(reverse("lti:launch")),
                custom_params={"resource": resource.key}, line_item=line_item,
            )
            response = render(request, "lti/deep_link_return.html", {
                "resource": resource, "return_url": return_url, "jwt": token,
            })
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
            response._csp_update = {"form-action": [origin]}
            return response
        error = "Choose a lesson, a quiz or the whole course."
    courses = selectors.resources_to_link()
    return render(request, "lti/deep_link.html", {"courses": courses, "error": error},
                  status=400 if error else 200)


@instructor_required
@require_http_methods(["GET", "POST"])
def roster(request, pk):
    """An instructor brings the LMS roster (Names and Role Provisioning) into the cohort."""
    link = selectors.get_taught_link(request.user, pk)
    if request.method == "POST":
        try:
            members = protocol.fetch_members(link.context)
        except protocol.ServiceError as exc:
            log.warning("NRPS sync of %s failed: %s", link, exc)
            messages.error(request, "The LMS roster could not be fetched; nothing changed. "
                           "Try again later, or check the registration.")
            return redirect("lti:roster", pk=link.cohort.pk)
        added, dropped = services.sync_roster(
            link=link, members=members, by=request.user, request=request
        )
        messages.success(request, f"Roster synced: {len(added)} learner(s) added, "
                                  f"{len(dropped)} marked as dropped.")
        return redirect("lti:roster", pk=link.cohort.pk)
    return render(request, "lti/roster.html", {
        "link": link, "cohort": link.cohort, "entries": selectors.roster_of(link),
    })
