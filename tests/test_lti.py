"""LTI 1.3 Advantage against a test platform (tests/lti_platform.py) on 127.0.0.1:
launches and their refusals, single sign-on, cohorts, deep linking, the grade
outbox and its worker, rosters (NRPS), framing and cookies."""

import io
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from edu.courses.models import Cohort
from edu.lti import services as lti_services
from edu.lti.models import GradePost, PlatformAccount, QuizLaunch, RosterEntry, UsedNonce
from quizzes.models import Attempt

from .factories import (
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    QuizFactory,
    make_instructor,
)
from .lti_platform import DL, LTI, Platform, new_private_key

User = get_user_model()
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


@pytest.fixture(scope="session")
def lms():
    platform = Platform().start()
    yield platform
    platform.stop()


@pytest.fixture
def platform(lms):
    lms.reset()
    yield lms
    lms.reset()


@pytest.fixture
def course(db):
    course = CourseFactory(slug="pharm", title="Clonazepam basics")
    LessonFactory(course=course, slug="gaba", title="How it works", position=1)
    quiz = QuizFactory(course=course, slug="gaba-quiz", title="GABA quiz")
    QuestionFactory(quiz=quiz)
    QuestionFactory(quiz=quiz)
    return course


@pytest.fixture
def quiz(course):
    return course.quizzes.get(slug="gaba-quiz")


@pytest.fixture
def registration(db, platform):
    Key.objects.generate()
    registration = LtiRegistration.objects.create(**platform.registration_fields())
    LtiDeployment.objects.create(
        registration=registration, deployment_id=platform.deployment_id, is_active=True
    )
    platform.tool_jwks = Key.objects.as_jwks()
    return registration


def oidc_login(client, platform, login_hint="hint", **extra):
    answer = client.get("/lti/login/", **extra, data={
        "iss": platform.issuer, "login_hint": login_hint, "client_id": platform.client_id,
        "target_link_uri": "http://testserver/lti/launch/",
        "lti_deployment_id": platform.deployment_id,
    })
    assert answer.status_code == 302, answer.content
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == platform.url + "/auth"
    query = parse_qs(location.query)
    scheme = "https" if extra.get("secure") else "http"
    assert query["redirect_uri"] == [f"{scheme}://testserver/lti/launch/"]
    assert query["client_id"] == [platform.client_id]
    return query["state"][0], query["nonce"][0]


def launch(client, platform, *, sign=None, state=None, **claims):
    """OIDC login, then the platform's form post with a signed id_token."""
    got_state, nonce = oidc_login(client, platform)
    token_claims = platform.claims(nonce=nonce, **claims)
    token = (sign or platform.sign)(token_claims)
    return client.post("/lti/launch/", {"id_token": token, "state": state or got_state})


def follow(client, answer):
    """Follow the launch's redirects (continue, then the destination)."""
    while answer.status_code == 302:
        answer = client.get(answer["Location"])
    return answer


def signed_in(client):
    return client.session.get("_auth_user_id")


# Keys and JWKS --------------------------------------------------------------------

def test_jwks_publishes_the_tool_keys_and_rotate_keys_adds_one(client, db):
    assert client.get("/lti/jwks.json").json() == {"keys": []}
    call_command("rotate_keys", stdout=io.StringIO())
    keys = client.get("/lti/jwks.json").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # never the private part
    call_command("rotate_keys", stdout=io.StringIO())
    assert len(client.get("/lti/jwks.json").json()["keys"]) == 2  # the old one still checks


def test_without_a_key_the_tool_says_so_with_a_503(client, db, platform):
    LtiRegistration.objects.create(**platform.registration_fields())
    answer = client.get("/lti/login/", {"iss": platform.issuer, "login_hint": "x",
                                        "target_link_uri": "http://testserver/lti/launch/",
                                        "client_id": platform.client_id})
    assert answer.status_code == 503
    assert b"rotate_keys" in answer.content


# Launches and single sign-on -------------------------------------------------------

def test_learner_launch_signs_in_one_account_and_joins_the_cohort(client, platform, registration,
                                                                    quiz):
    answer = launch(client, platform, resource="quiz:pharm/gaba-quiz")
    assert answer.status_code == 302 and "/lti/continue/" in answer["Location"]
    page = follow(client, answer)
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == quiz.get_absolute_url()
    user = User.objects.get(pk=signed_in(client))
    assert (user.full_name, user.email) == ("Lee Learner", "lee@example.edu")
    assert not user.has_usable_password() and not user.is_staff
    assert PlatformAccount.objects.get(user=user).sub == "learner-1"
    cohort = Cohort.objects.get(learners=user)
    assert cohort.course == quiz.course and "NURS 210 Pharmacology" in cohort.name
    assert cohort.lti_link.context.id_on_platform == "lms-course-1"
    launch_row = QuizLaunch.objects.get(user=user, quiz=quiz)
    assert launch_row.lineitem_url == platform.url + "/lineitems/line-1"

    # The same learner again, in another browser: the same account and cohort.
    other = client.__class__()
    follow(other, launch(other, platform, resource="quiz:pharm/gaba-quiz", name="Renamed"))
    assert signed_in(other) == str(user.pk)
    assert User.objects.filter(username__startswith="lti-").count() == 1
    assert Cohort.objects.count() == 1


def test_a_launch_without_name_or_email_still_makes_the_account(client, platform, registration,
                                                                 course):
    follow(client, launch(client, platform, sub="anon-9", name=None, email=None,
                          resource="course:pharm"))
    user = User.objects.get(pk=signed_in(client))
    assert user.email == "" and user.username.startswith("lti-")


def test_instructor_launch_lands_on_the_cohorts_teaching_page(client, platform, registration,
                                                              quiz):
    answer = launch(client, platform, sub="teacher-1", roles=("Instructor",),
                    resource="quiz:pharm/gaba-quiz")
    page = follow(client, answer)
    cohort = Cohort.objects.get()
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == cohort.get_absolute_url()
    user = User.objects.get(pk=signed_in(client))
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("courses.teach_cohort")
    assert list(cohort.instructors.all()) == [user] and not cohort.learners.exists()
    assert not QuizLaunch.objects.exists()  # instructors' attempts send no grades


def test_a_link_to_a_lesson_opens_the_lesson(client, platform, registration, course):
    page = follow(client, launch(client, platform, resource="lesson:pharm/gaba"))
    assert page.request["PATH_INFO"] == "/courses/pharm/gaba/"


def test_a_link_to_something_unknown_is_a_clear_404(client, platform, registration, course):
    answer = launch(client, platform, resource="quiz:pharm/nope")
    assert answer.status_code == 404
    assert b"does not name a lesson, quiz or course" in answer.content
    assert not signed_in(client)


# Refusals, one by one -------------------------------------------------------------

def _other_key_signs(platform):
    stranger = new_private_key()
    return lambda claims: platform.sign(claims, key=stranger)


REFUSALS = {
    "bad signature": (dict(sign="other key"), 403, b"signature could not be verified"),
    "unknown issuer": (dict(iss="https://unknown.example.edu"), 403, b"not registered"),
    "unknown deployment": (
        {LTI + "deployment_id": "somewhere-else"}, 403, b"deployment of the tool is not enabled"),
    "wrong audience": (dict(aud="someone-else", azp="someone-else"), 403, b"not registered"),
    "azp is not the tool": (dict(azp="someone-else"), 403, b"not registered"),
    "expired token": (dict(expires_in=-120), 403, b"expired or was already used"),
    "wrong message type": (
        {LTI + "message_type": "LtiSomethingElse"}, 400, b"not supported"),
    "wrong version": ({LTI + "version": "1.1"}, 400, b"Only LTI 1.3"),
    "no exp claim": (dict(exp=None), 403, b"refused"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_launch_is_refused_with_a_clear_page(client, platform, registration, course, case):
    claims, status, text = REFUSALS[case]
    claims = dict(claims)
    sign = _other_key_signs(platform) if claims.pop("sign", None) else None
    if claims.get("exp", 0) is None:  # drop the claim altogether
        sign = _signs_without(platform, "exp")
        claims.pop("exp")
    answer = launch(client, platform, sign=sign, resource="course:pharm", **claims)
    assert answer.status_code == status, answer.content
    assert b"The LMS launch was refused" in answer.content
    assert text in answer.content
    assert not signed_in(client)
    assert not PlatformAccount.objects.exists() and not User.objects.exists()


def _signs_without(platform, claim):
    def sign(claims):
        return platform.sign({k: v for k, v in claims.items() if k != claim})
    return sign


def test_a_reused_nonce_is_refused(client, platform, registration, course):
    state, nonce = oidc_login(client, platform)
    token = platform.sign(platform.claims(nonce=nonce, resource="course:pharm"))
    first = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert first.status_code == 302
    # The same id_token again (a replay), and a new token with the same nonce.
    again = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert again.status_code == 403 and b"expired or was already used" in again.content
    other = platform.sign(platform.claims(nonce=nonce, sub="someone", resource="course:pharm"))
    assert client.post("/lti/launch/", {"id_token": other, "state": state}).status_code == 403
    assert UsedNonce.objects.count() == 1
    assert PlatformAccount.objects.count() == 1


def test_a_nonce_the_tool_never_issued_is_refused(client, platform, registration, course):
    state, _ = oidc_login(client, platform)
    token = platform.sign(platform.claims(nonce="made-up", resource="course:pharm"))
    answer = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert answer.status_code == 403 and b"expired or was already used" in answer.content


def test_a_launch_without_the_login_state_is_refused(client, platform, registration, course):
    _, nonce = oidc_login(client, platform)
    token = platform.sign(platform.claims(nonce=nonce, resource="course:pharm"))
    fresh = client.__class__()  # another browser: no state cookie
    answer = fresh.post("/lti/launch/", {"id_token": token, "state": "state-forged"})
    assert answer.status_code == 403 and b"did not start from the LMS" in answer.content
    assert fresh.post("/lti/launch/", {"id_token": token}).status_code == 400
    assert fresh.post("/lti/launch/", {"state": "x", "id_token": "a.b"}).status_code in (400, 403)
    assert client.get("/lti/launch/").status_code == 405


def test_an_unknown_issuer_cannot_start_a_login(client, db, platform, registration):
    answer = client.get("/lti/login/", {"iss": "https://nobody.example", "login_hint": "x",
                                        "target_link_uri": "http://testserver/lti/launch/"})
    assert answer.status_code == 403 and b"not registered" in answer.content
    assert client.get("/lti/login/", {"iss": platform.issuer}).status_code == 400


def test_a_learner_cannot_deep_link(client, platform, registration, course):
    answer = launch(client, platform, message_type="LtiDeepLinkingRequest")
    assert answer.status_code == 403 and b"Only instructors" in answer.content
    assert client.get("/lti/deep-link/").status_code == 403


# Deep linking ---------------------------------------------------------------------

def test_deep_linking_returns_a_signed_response_with_the_required_claims(
    client, platform, registration, quiz
):
    answer = launch(client, platform, sub="teacher-1", roles=("Instructor",),
                    message_type="LtiDeepLinkingRequest")
    picker = follow(client, answer)
    assert picker.request["PATH_INFO"] == "/lti/deep-link/"
    assert b"Quiz: GABA quiz" in picker.content and b"Lesson: How it works" in picker.content
    assert client.post("/lti/deep-link/", {"resource": "quiz:pharm/nope"}).status_code == 400
    page = client.post("/lti/deep-link/", {"resource": "quiz:pharm/gaba-quiz"})
    assert page.status_code == 200
    assert f'action="{platform.url}/deep-link-return"'.encode() in page.content
    assert platform.url in page["Content-Security-Policy"].split("form-action")[1]
    token = page.context["jwt"]

    claims = platform.verify_tool_jwt(token, audience=platform.issuer)  # the tool's JWKS
    now = time.time()
    assert claims["iss"] == platform.client_id
    assert platform.issuer in ([claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"])
    assert claims["iat"] <= now + 5 and claims["exp"] > now
    assert claims["nonce"]
    assert claims[LTI + "deployment_id"] == platform.deployment_id
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[DL + "data"] == "platform-opaque-data"
    [item] = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://testserver/lti/launch/"
    assert item["title"] == "GABA quiz"
    assert item["custom"] == {"resource": "quiz:pharm/gaba-quiz"}
    assert item["lineItem"] == {"scoreMaximum": 100, "label": "GABA quiz",
                                "resourceId": "quiz:pharm/gaba-quiz", "tag": "quiz"}

    lesson = platform.verify_tool_jwt(
        client.post("/lti/deep-link/", {"resource": "lesson:pharm/gaba"}).context["jwt"],
        audience=platform.issuer,
    )
    assert "lineItem" not in lesson[DL + "content_items"][0]  # a lesson has no grade
    whole = platform.verify_tool_jwt(
        client.post("/lti/deep-link/", {"resource": "course:pharm"}).context["jwt"],
        audience=platform.issuer,
    )
    assert whole[DL + "content_items"][0]["custom"] == {"resource": "course:pharm"}


# Grades: the outbox and the worker ---------------------------------------------------

def take_quiz(client, quiz):
    """Start and submit the quiz through its pages, as the learner signed in to `client`."""
    started = client.post(f"/courses/{quiz.course.slug}/quizzes/{quiz.slug}/start/")
    assert started.status_code == 302, started.content
    pk = int(started["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/attempts/{pk}/submit/").status_code == 302
    return Attempt.objects.get(pk=pk)


def learner_from_lms(client, platform, quiz, **claims):
    follow(client, launch(client, platform, resource=f"quiz:pharm/{quiz.slug}", **claims))
    return User.objects.get(pk=signed_in(client))


def test_a_submission_queues_its_score_and_the_worker_posts_it_once(client, platform,
                                                                   registration, quiz):
    learner_from_lms(client, platform, quiz)
    attempt = take_quiz(client, quiz)
    post = GradePost.objects.get(attempt=attempt)  # written with the submission
    assert post.status == GradePost.Status.PENDING and post.sub == "learner-1"
    client.post(f"/attempts/{attempt.pk}/submit/")  # submitting twice grades (and queues) once
    assert GradePost.objects.count() == 1

    out = io.StringIO()
    call_command("send_grades", "--once", stdout=out)
    assert "Sent 1 score(s)" in out.getvalue()
    [(path, score, auth)] = platform.scores
    assert path == "/lineitems/line-1/scores"
    assert score["userId"] == "learner-1"
    assert score["scoreGiven"] == float(attempt.score) and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"] == attempt.submitted_at.isoformat()
    assert auth.startswith("Bearer ")
    [assertion] = platform.token_requests  # the client assertion checked with the tool's JWKS
    assert assertion["aud"] == platform.url + "/token"
    post.refresh_from_db()
    assert post.status == GradePost.Status.SENT and post.sent_at and post.last_error == ""

    call_command("send_grades", "--once", stdout=io.StringIO())
    assert len(platform.scores) == 1  # never twice


def test_a_platform_that_is_down_loses_no_score(client, platform, registration, quiz):
    learner_from_lms(client, platform, quiz)
    attempt = take_quiz(client, quiz)
    platform.down = True
    assert lti_services.send_due_grades() == (0, 1)
    post = GradePost.objects.get(attempt=attempt)
    assert post.status == GradePost.Status.PENDING and post.tries == 1
    assert "503" in post.last_error
    assert post.next_try_at > timezone.now()  # backs off
    assert lti_services.send_due_grades() == (0, 0)  # not due yet
    later = timezone.now() + timedelta(seconds=31)
    assert lti_services.send_due_grades(now=later) == (0, 1)
    post.refresh_from_db()
    assert post.tries == 2 and post.next_try_at >= later + timedelta(seconds=60)

    platform.down = False
    assert lti_services.send_due_grades(now=later + timedelta(hours=1)) == (1, 0)
    assert len(platform.scores) == 1 and platform.scores[0][1]["userId"] == "learner-1"
    assert lti_services.send_due_grades(now=later + timedelta(days=1)) == (0, 0)
    assert len(platform.scores) == 1


def test_two_workers_never_send_the_same_score(client, platform, registration, quiz):
    learner_from_lms(client, platform, quiz)
    attempt = take_quiz(client, quiz)
    post = GradePost.objects.get(attempt=attempt)
    assert lti_services.claim_grade(pk=post.pk) is not None
    assert lti_services.claim_grade(pk=post.pk) is None  # held by the first


def test_backoff_doubles_and_is_capped(settings):
    assert lti_services.backoff(1) == timedelta(seconds=30)
    assert lti_services.backoff(3) == timedelta(seconds=120)
    assert lti_services.backoff(40) == timedelta(seconds=settings.LTI_GRADE_MAX_BACKOFF)


def test_without_a_line_item_the_worker_makes_one(client, platform, registration, quiz):
    learner_from_lms(client, platform, quiz, lineitem=None)
    take_quiz(client, quiz)
    assert lti_services.send_due_grades() == (1, 0), GradePost.objects.get().last_error
    [item] = platform.line_items.values()
    assert item["label"] == "GABA quiz" and item["resourceLinkId"] == "link-1"
    assert platform.scores[0][0] == urlsplit(item["id"]).path + "/scores"


def test_no_score_is_queued_outside_the_lms(learner_client, quiz, platform, registration):
    take_quiz(learner_client, quiz)  # a quiz opened on the site itself
    assert not GradePost.objects.exists()


def test_a_launch_without_grade_service_queues_nothing(client, platform, registration, quiz):
    learner_from_lms(client, platform, quiz,
                     **{"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": None})
    take_quiz(client, quiz)
    assert not GradePost.objects.exists()


def test_the_outbox_is_visible_in_the_admin_with_its_last_error(admin_client, client, platform,
                                                               registration, quiz):
    learner_from_lms(client, platform, quiz)
    take_quiz(client, quiz)
    platform.down = True
    lti_services.send_due_grades()
    page = admin_client.get("/admin/lti/gradepost/")
    assert page.status_code == 200 and b"503" in page.content
    assert admin_client.get("/admin/lti_tool/ltiregistration/add/").status_code == 200


def test_the_lti_admin_pages_with_learner_data_are_closed_to_instructors(
    client, platform, registration, quiz
):
    """Scores, LMS accounts, course links and rosters name learners: only an
    administrator (a superuser here) reads them in the admin, not a teacher."""
    learner_client = client.__class__()
    learner_from_lms(learner_client, platform, quiz)
    take_quiz(learner_client, quiz)
    client.force_login(make_instructor("teacher"))
    for model in ("gradepost", "platformaccount", "cohortlink", "rosterentry"):
        assert client.get(f"/admin/lti/{model}/").status_code == 403, model
    post = GradePost.objects.get()
    assert client.get(f"/admin/lti/gradepost/{post.pk}/change/").status_code == 403


# Rosters (NRPS) ---------------------------------------------------------------------

def member(sub, name, status="Active", roles=("Learner",)):
    return {"user_id": sub, "name": name, "email": f"{sub}@example.edu", "status": status,
            "roles": [f"http://purl.imsglobal.org/vocab/lis/v2/membership#{r}" for r in roles]}


def test_an_instructor_syncs_the_lms_roster_into_the_cohort(client, platform, registration,
                                                           quiz):
    learner_client = client.__class__()
    launched = learner_from_lms(learner_client, platform, quiz)  # learner-1 launched already
    follow(client, launch(client, platform, sub="teacher-1", roles=("Instructor",),
                          resource="course:pharm"))
    cohort = Cohort.objects.get()
    page = client.get(f"/lti/cohorts/{cohort.pk}/roster/")
    assert page.status_code == 200 and b"Sync the roster" in page.content

    platform.members = [member("learner-2", "Ann New"), member("learner-3", "Bo New"),
                        member("teacher-1", "Tea Cher", roles=("Instructor",))]
    answer = client.post(f"/lti/cohorts/{cohort.pk}/roster/", follow=True)
    assert b"2 learner(s) added, 1 marked as dropped" in answer.content
    names = set(cohort.learners.values_list("full_name", flat=True))
    assert names == {"Ann New", "Bo New", launched.full_name}  # the dropped one keeps records
    assert RosterEntry.objects.get(user=launched).status == RosterEntry.Status.DROPPED

    platform.members = [member("learner-2", "Ann New"), member("learner-3", "Bo", "Inactive")]
    client.post(f"/lti/cohorts/{cohort.pk}/roster/")
    statuses = dict(RosterEntry.objects.values_list("user__full_name", "status"))
    assert statuses == {"Ann New": "active", "Bo New": "dropped", launched.full_name: "dropped"}
    assert PlatformAccount.objects.filter(sub="learner-2").count() == 1


def test_roster_sync_when_the_lms_is_down_changes_nothing(client, platform, registration, quiz):
    follow(client, launch(client, platform, sub="teacher-1", roles=("Instructor",),
                          resource="course:pharm"))
    cohort = Cohort.objects.get()
    platform.down = True
    answer = client.post(f"/lti/cohorts/{cohort.pk}/roster/", follow=True)
    assert b"could not be fetched; nothing changed" in answer.content
    assert not cohort.learners.exists()


def test_the_roster_page_is_for_the_cohorts_own_instructors(client, platform, registration,
                                                           quiz, learner):
    follow(client, launch(client, platform, sub="teacher-1", roles=("Instructor",),
                          resource="course:pharm"))
    cohort = Cohort.objects.get()
    learner_client = client.__class__()
    learner_client.force_login(learner)
    assert learner_client.get(f"/lti/cohorts/{cohort.pk}/roster/").status_code == 403
    other = client.__class__()
    follow(other, launch(other, platform, sub="teacher-2", roles=("Instructor",),
                         context_id="another-course", resource="course:pharm"))
    assert other.get(f"/lti/cohorts/{cohort.pk}/roster/").status_code == 404


# Framing and cookies ----------------------------------------------------------------

def frame_ancestors(answer):
    policy = answer["Content-Security-Policy"]
    return policy.split("frame-ancestors")[1].split(";")[0].split()


def test_only_the_launching_platform_may_frame_the_site(client, platform, registration, quiz):
    home = client.get("/")
    assert frame_ancestors(home) == ["'none'"] and home["X-Frame-Options"] == "DENY"
    page = follow(client, launch(client, platform, resource="quiz:pharm/gaba-quiz"))
    assert frame_ancestors(page) == [platform.url]
    assert "X-Frame-Options" not in page
    assert frame_ancestors(client.get("/")) == [platform.url]
    admin = client.get("/admin/login/")
    assert frame_ancestors(admin) == ["'none'"] and admin["X-Frame-Options"] == "DENY"
    refused = launch(client.__class__(), platform, sign=_other_key_signs(platform))
    assert frame_ancestors(refused) == [platform.url]  # its error page shows in the LMS


def test_a_framing_options_edit_reaches_the_csp_at_once(client, platform, registration, quiz):
    follow(client, launch(client, platform, resource="quiz:pharm/gaba-quiz"))
    assert frame_ancestors(client.get("/")) == [platform.url]  # cached now
    from edu.lti.models import PlatformOptions

    PlatformOptions.objects.update_or_create(
        registration=registration, defaults={"frame_origins": "https://school.example.edu"}
    )
    assert frame_ancestors(client.get("/")) == [platform.url, "https://school.example.edu"]
    registration.is_active = False
    registration.save()
    assert frame_ancestors(client.get("/")) == ["'none'"]


def test_over_https_an_lti_sessions_cookies_work_in_an_iframe(client, platform, registration,
                                                              course):
    state, nonce = oidc_login(client, platform, secure=True)
    token = platform.sign(platform.claims(nonce=nonce, resource="course:pharm"))
    answer = client.post("/lti/launch/", {"id_token": token, "state": state}, secure=True)
    assert answer.status_code == 302
    session_cookie = answer.cookies["sessionid"]
    assert session_cookie["samesite"] == "None" and session_cookie["secure"]
    plain = client.__class__().get("/accounts/login/", secure=True)
    assert plain.cookies["csrftoken"]["samesite"] == "Lax"  # everyone else: Lax


def test_when_the_frame_blocks_cookies_a_new_window_signs_in_once(client, platform,
                                                                   registration, quiz):
    answer = launch(client, platform, resource="quiz:pharm/gaba-quiz")
    cont = answer["Location"]
    blocked = client.__class__()  # the frame's requests came back without cookies
    page = blocked.get(cont)
    assert page.status_code == 200 and b"Open the module in a new window" in page.content
    assert b"password" not in page.content.lower()
    opened = blocked.get(cont + "?window=new")
    assert opened.status_code == 302 and opened["Location"] == quiz.get_absolute_url()
    assert signed_in(blocked) == signed_in(client)
    assert client.__class__().get(cont + "?window=new").status_code == 410  # once only
