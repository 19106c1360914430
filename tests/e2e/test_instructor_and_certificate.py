"""An instructor reads a cohort's gradebook and item analysis; a learner who
completed the course reaches the certificate and its public check. axe audits
every page."""

import pytest
from playwright.sync_api import expect

from edu.courses.models import Certificate
from quizzes.models import Quiz

from ..factories import CohortFactory, UserFactory, make_instructor
from ..test_instructors import complete_course, pass_quiz
from .conftest import log_in

pytestmark = pytest.mark.e2e


def test_instructor_reads_gradebook_and_item_analysis(page, axe, klonopin):
    teacher = make_instructor("teacher", full_name="Dr Teach")
    cohort = CohortFactory(course=klonopin, name="Nursing 2026")
    cohort.instructors.add(teacher)
    quiz = Quiz.objects.get(slug="indications")
    for n, name in enumerate(["Ana Ruiz", "<b>Bo</b>", "=1+1"]):
        learner = UserFactory(username=f"l{n}", full_name=name)
        cohort.learners.add(learner)
        pass_quiz(learner, quiz)

    log_in(page, "teacher")
    page.get_by_role("link", name="Teaching").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teaching")
    axe.check(page)
    page.get_by_role("link", name="Nursing 2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gradebook: Nursing 2026")
    expect(page.get_by_role("row")).to_have_count(4)
    expect(page.get_by_text("<b>Bo</b>")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="sort by progress").click()
    axe.check(page)
    page.get_by_role("link", name="Indications").first.click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Item analysis: Indications and dosing")
    expect(page.get_by_role("img", name="Facility and discrimination per question")).to_be_visible()
    axe.check(page)
    axe.assert_clean()


def test_learner_reaches_certificate_and_public_check(page, axe, klonopin):
    learner = UserFactory(username="grad", full_name="Ζωή Παπαδοπούλου")
    complete_course(learner, klonopin)
    log_in(page, "grad")
    expect(page.get_by_text("Course complete.")).to_be_visible()
    axe.check(page)
    page.get_by_role("button", name="Get your certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of completion")
    expect(page.get_by_text("Ζωή Παπαδοπούλου")).to_be_visible()
    axe.check(page)
    code = Certificate.objects.get().code
    page.get_by_role("link", name=f"/verify/{code}/").click()
    expect(page.get_by_text("This certificate is valid.")).to_be_visible()
    axe.check(page)
    page.context.clear_cookies()
    page.goto(f"/verify/{code}/")
    expect(page.get_by_text("Ζωή Παπαδοπούλου")).to_be_visible()
    axe.check(page)
    axe.assert_clean()
