"""The LTI protocol, through the libraries: django-lti (`lti_tool`) for the
registrations, keys and launch records, pylti1p3 for OIDC, token validation,
deep linking, grades (AGS) and rosters (NRPS). Nothing here parses or checks a
JWT by hand; this module adds only the checks the libraries leave to the tool
(a nonce used once, azp) and turns their errors into sentences for people.

Outbound calls (the platform's keyset, token, line item and membership URLs)
are made with a timeout, and never inside a database transaction.
"""

import logging

import requests
from django.conf import settings
from lti_tool.models import Key, LtiLaunch
from lti_tool.utils import DjangoToolConfig
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, LtiServiceException, OIDCException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

log = logging.getLogger(__name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
# Claims every launch must carry, on top of what the libraries check.
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "nonce", "sub"]


class LaunchRefused(Exception):
    """A launch or login the tool will not accept: `message` is for people,
    `detail` is the library's own words (shown small, and logged)."""

    def __init__(self, message, detail="", status=403):
        super().__init__(message)
        self.message, self.detail, self.status = message, detail, status


EXPIRED = (
    "This launch has expired or was already used. Open the activity again from your "
    "course in the LMS."
)
NOT_REGISTERED = (
    "This LMS is not registered with the module (unknown issuer or client id). Ask your "
    "LMS administrator to register the tool."
)
BAD_SIGNATURE = (
    "The launch's signature could not be verified with the LMS's published keys, so it "
    "was refused."
)
# The library's messages, by their start, and what a person should read instead.
EXPLANATIONS = [
    ("Missing %s cookie", "This launch did not start from the LMS in this browser (its "
                          "login cookie is missing). Open the activity again from your "
                          "course in the LMS.", 403),
    ("Missing state", "This launch did not start from the LMS in this browser. Open the "
                      "activity again from your course in the LMS.", 400),
    ("State not found", "This launch did not start from the LMS in this browser, or its "
                        "login expired. Open the activity again from your course.", 403),
    ("Missing id_token", "The LMS sent no launch token (id_token).", 400),
    ("Invalid id_token", "The launch token (id_token) is malformed.", 400),
    ("Invalid JWT format", "The launch token (id_token) is malformed.", 400),
    ('"nonce" is empty', EXPIRED, 403),
    ("Invalid Nonce", EXPIRED, 403),
    ("Registration not found", NOT_REGISTERED, 403),
    ("Client id not registered", NOT_REGISTERED, 403),
    ("Could not find registration", NOT_REGISTERED, 403),
    ("Could not find issuer", "The LMS did not say who it is (no issuer).", 400),
    ("Could not find login hint", "The LMS sent no login hint.", 400),
    ("Can't decode id_token: Signature has expired", EXPIRED, 403),
    ("Can't decode id_token: Signature verification failed", BAD_SIGNATURE, 403),
    ("Can't decode id_token: Token is missing", "The launch token lacks a required claim.",
     403),
    ("Can't decode id_token", BAD_SIGNATURE, 403),
    ("Unable to find public key", BAD_SIGNATURE, 403),
    ("JWT KID not found", BAD_SIGNATURE, 403),
    ("JWT ALG not found", BAD_SIGNATURE, 403),
    ("Error during fetch URL", "The LMS's keys could not be fetched; try again in a moment.",
     503),
    ("Invalid response from", "The LMS's keys could not be read.", 502),
    ("Unable to find deployment", "This deployment of the tool is not known here.", 403),
    ("deployment_id is not set", "The launch names no deployment.", 400),
    ("Invalid message type", "This kind of LTI message is not supported.", 400),
    ("Unrecognized message type", "This kind of LTI message is not supported.", 400),
    ("Incorrect version", "Only LTI 1.3 launches are supported.", 400),
    ("Must have a user", "The launch names no user; the module needs one.", 400),
    ("Missing Roles Claim", "The launch gives no roles.", 400),
    ("Missing Resource Link Id", "The launch names no resource link.", 400),
    ("Missing Deep Linking", "The deep-linking request lacks its settings.", 400),
    ("Must support resource link", "The LMS does not accept LTI resource links here.", 400),
    ("Must support a presentation", "The deep-linking request names no presentation target.",
     400),
]


def refusal(exc):
    detail = str(exc)
    for start, message, status in EXPLANATIONS:
        if detail.startswith(start):
            return LaunchRefused(message, detail, status)
    return LaunchRefused("The LMS launch could not be validated, so it was refused.", detail)


class TimeoutSession(requests.Session):
    """requests with a timeout on every call: a platform that hangs fails the call."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def _tool_config(registration_uuid=None):
    if not Key.objects.active().exists():
        raise LaunchRefused(
            "The tool has no signing key yet. The site's administrator must run "
            "`manage.py rotate_keys` once.", status=503,
        )
    return DjangoToolConfig(registration_uuid)


def oidc_login_redirect(request, *, launch_url, registration_uuid=None):
    """Step 1 of a launch (OIDC third-party login): a redirect to the platform's
    auth URL with a fresh state (cookie) and nonce (cache)."""
    params = request.POST if request.method == "POST" else request.GET
    if not params.get("target_link_uri"):
        raise LaunchRefused("The LMS sent no target_link_uri.", status=400)
    oidc = DjangoOIDCLogin(
        request, _tool_config(registration_uuid), launch_data_storage=DjangoCacheDataStorage()
    )
    try:
        return oidc.disable_check_cookies().redirect(launch_url)
    except (LtiException, OIDCException) as exc:
        raise refusal(exc) from exc


def validate_launch(request):
    """Step 2: the platform's form post. Everything the specification requires is
    checked (signature against the platform's keyset, iss, aud, exp/iat, nonce,
    deployment, message type, version) by pylti1p3; azp here. Returns the
    django-lti LtiLaunch; the nonce is marked used by the caller's transaction."""
    tool_config = _tool_config()
    try:
        message_launch = DjangoMessageLaunch(
            request, tool_config, launch_data_storage=DjangoCacheDataStorage(),
            requests_session=TimeoutSession(),
        )
        # The audience is matched to a registration's client id by the library
        # (PyJWT cannot, without knowing the client id first); these claims must be there.
        message_launch.set_jwt_verify_options({"verify_aud": False, "require": REQUIRED_CLAIMS})
        message_launch.validate()
    except (LtiException, OIDCException) as exc:
        log.info("LTI launch refused: %s", exc)
        raise refusal(exc) from exc
    data = message_launch.get_launch_data()
    client_id = message_launch.get_client_id()
    aud = data.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and "azp" not in data:
        raise LaunchRefused(NOT_REGISTERED, "several audiences and no azp claim")
    if "azp" in data and data["azp"] != client_id:
        raise LaunchRefused(NOT_REGISTERED, "azp is not the tool's client id")
    return LtiLaunch(message_launch)


def custom(launch, name):
    return (launch.get_claim(CUSTOM_CLAIM) or {}).get(name)


def ags_endpoint(launch):
    """The launch's AGS claim, when the platform lets the tool publish scores."""
    claim = launch.get_claim(AGS_CLAIM) or {}
    if SCORE_SCOPE not in claim.get("scope", []):
        return None
    if not claim.get("lineitem") and not (
        claim.get("lineitems") and LINEITEM_SCOPE in claim["scope"]
    ):
        return None
    return claim


def deep_link_jwt(launch, *, title, url, custom_params, line_item=None):
    """The signed LtiDeepLinkingResponse for one resource link (pylti1p3 signs it
    with the tool's key)."""
    resource = (
        DeepLinkResource().set_title(title).set_url(url).set_custom_params(custom_params)
    )
    if line_item:
        resource.set_lineitem(
            LineItem()
            .set_label(line_item["label"])
            .set_score_maximum(line_item["scoreMaximum"])
            .set_resource_id(line_item["resourceId"])
            .set_tag(line_item["tag"])
        )
    return launch.get_message_launch().get_deep_link().get_response_jwt([resource])


def deep_link_return_url(launch):
    settings_claim = launch.get_claim(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    ) or {}
    return settings_claim.get("deep_link_return_url", "")


class ServiceError(Exception):
    """A call to the platform's services failed; the message says how."""


SERVICE_ERRORS = (
    LtiException, requests.RequestException, ValueError, KeyError, Key.DoesNotExist,
)


def _connector(registration):
    return ServiceConnector(registration.to_registration(), requests_session=TimeoutSession())


def _service_error(exc):
    if isinstance(exc, LtiServiceException):
        return ServiceError(str(exc)[:2000])
    return ServiceError(f"{exc.__class__.__name__}: {exc}"[:2000])


def post_score(post):
    """Send one outbox row to the platform (AGS): the score to its line item, made
    first from the line items URL when the launch named none."""
    grade = (
        Grade()
        .set_score_given(float(post.score_given))
        .set_score_maximum(float(post.score_maximum))
        .set_activity_progress(post.activity_progress)
        .set_grading_progress(post.grading_progress)
        .set_timestamp(post.timestamp.isoformat())
        .set_user_id(post.sub)
    )
    line_item = None
    if not post.lineitem_url:
        line_item = (
            LineItem().set_label(post.label).set_score_maximum(float(post.score_maximum))
            .set_resource_link_id(post.resource_link.id_on_platform if post.resource_link else "")
            .set_tag("quiz")
        )
    try:
        ags = AssignmentsGradesService(
            _connector(post.registration),
            {"scope": post.scopes, "lineitem": post.lineitem_url,
             "lineitems": post.lineitems_url},
        )
        if line_item is not None:  # this resource link's line item, found or made
            line_item = ags.find_or_create_lineitem(line_item, find_by="resource_link_id")
        ags.put_grade(grade, line_item)
    except SERVICE_ERRORS as exc:
        raise _service_error(exc) from exc


def fetch_members(context):
    """The LMS course's roster (NRPS), every page of it."""
    if not context.memberships_url:
        raise ServiceError("The LMS did not offer its roster (no Names and Roles service).")
    try:
        nrps = NamesRolesProvisioningService(
            _connector(context.deployment.registration),
            {"context_memberships_url": context.memberships_url},
        )
        return nrps.get_members()
    except SERVICE_ERRORS as exc:
        raise _service_error(exc) from exc
