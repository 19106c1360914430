"""An LMS opens the module in its iframe, in a real Chromium: the test platform
(tests/lti_platform.py, on 127.0.0.1) starts the OIDC login, signs the launch,
and the learner takes and submits a quiz inside the frame; the worker posts the
score to the platform's line item. The same learner launching again is the
same account; an instructor's launch lands on the cohort's Teaching page.
No Content-Security-Policy violation is allowed (the framing included)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from lti_tool.models import Key, LtiDeployment, LtiRegistration
from playwright.sync_api import expect

from edu.courses.models import Cohort
from edu.lti.models import GradePost, PlatformAccount
from quizzes.models import Attempt

from ..lti_platform import Platform
from .conftest import csp_violations

pytestmark = pytest.mark.e2e
QUIZ = "quiz:klonopin/withdrawal-safety"


@pytest.fixture
def platform():
    platform = Platform().start()
    yield platform
    platform.stop()


def test_a_learner_launched_from_the_lms_takes_a_quiz_and_the_lms_gets_the_score(
    browser, live_server, klonopin, platform
):
    # The tool and the platform both on 127.0.0.1 (different ports).
    tool = live_server.url.replace("localhost", "127.0.0.1")
    Key.objects.generate()
    registration = LtiRegistration.objects.create(**platform.registration_fields())
    LtiDeployment.objects.create(registration=registration,
                                 deployment_id=platform.deployment_id, is_active=True)
    platform.tool_jwks_url = tool + "/lti/jwks.json"  # the tool's JWKS, over HTTP
    quiz_title = klonopin.quizzes.get(slug="withdrawal-safety").title

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = csp_violations(page)

    def open_from_lms(login_hint, **claims):
        platform.logins[login_hint] = platform.claims(nonce="", sub=login_hint, **claims)
        platform.iframe_src = platform.login_url(tool, login_hint)
        page.goto(platform.url + "/course")
        return page.frame_locator("#tool")

    # 1. OIDC login → launch → the quiz, inside the LMS's iframe.
    frame = open_from_lms("learner-1", resource=QUIZ, name="Lee Learner")
    expect(frame.get_by_role("heading", level=1)).to_have_text(quiz_title)
    expect(frame.get_by_text("Lee Learner")).to_have_count(0)  # no password form either
    expect(frame.get_by_label("Password")).to_have_count(0)
    frame.get_by_role("button", name="Start the quiz").click()
    for question in frame.locator("fieldset.question").all():
        question.locator("input[type=radio], input[type=checkbox]").first.check()
    frame.get_by_role("button", name="Finish attempt…").click()
    frame.get_by_role("button", name="Submit all and finish").click()
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Review")

    # 2. The score waits in the outbox, and the worker posts it to the line item.
    account = PlatformAccount.objects.get(sub="learner-1")
    attempt = Attempt.objects.get(user=account.user)
    assert GradePost.objects.get(attempt=attempt).status == GradePost.Status.PENDING
    call_command("send_grades", "--once", stdout=io.StringIO())
    [(path, score, _)] = platform.scores
    assert path == "/lineitems/line-1/scores"
    assert score["scoreGiven"] == float(attempt.score) and score["scoreMaximum"] == 100
    assert score["userId"] == "learner-1"
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert platform.token_requests, "the platform checked the tool's client assertion"

    # 3. The same learner again: the same account, the same cohort.
    frame = open_from_lms("learner-1", resource=QUIZ, name="Lee Learner")
    expect(frame.get_by_role("heading", level=1)).to_have_text(quiz_title)
    assert PlatformAccount.objects.count() == 1
    assert get_user_model().objects.filter(username__startswith="lti-").count() == 1
    cohort = Cohort.objects.get()
    assert list(cohort.learners.all()) == [account.user]

    # 4. An instructor's launch lands on the cohort's Teaching page.
    frame = open_from_lms("teacher-1", resource=QUIZ, roles=("Instructor",), name="Tea Cher")
    expect(frame.get_by_role("heading", level=1)).to_have_text(f"Gradebook: {cohort.name}")
    expect(frame.get_by_role("link", name="Lee Learner")).to_be_visible()

    context.close()
    assert violations == [], "\n".join(violations)
    assert len(platform.scores) == 1  # nothing was posted twice
