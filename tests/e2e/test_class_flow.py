"""An instructor runs a class end to end in a real browser: creates a cohort in
the admin, invites a learner by e-mail, the learner signs up from the link,
joins and takes a quiz, the instructor opens that attempt from the gradebook,
exports the CSV, and the audit trail lists each step. axe audits every page,
the admin's included; the teaching area fits 1280 px and 375 px windows."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from edu.courses.models import Cohort
from edu.teaching.models import AuditEntry

from ..factories import make_instructor
from .conftest import log_in

pytestmark = pytest.mark.e2e


def log_out(page):
    page.get_by_role("button", name=re.compile("Log out")).click()


def no_wider_than_window(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_instructor_runs_a_class_from_invitation_to_audit(page, axe, klonopin, live_server):
    make_instructor("xavier", full_name="Xavier Teach")
    log_in(page, "xavier")
    expect(page.get_by_role("heading", level=1)).to_have_text("Teaching")  # lands here
    axe.check(page)

    # 1. Create a cohort in the admin.
    page.get_by_role("link", name="Create a cohort").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add cohort")
    axe.check(page)
    page.get_by_label("Name").fill("Evening nursing")
    page.get_by_label("Course").select_option(label=klonopin.title)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    axe.check(page)
    cohort = Cohort.objects.get(name="Evening nursing")

    # 2. Invite a learner by e-mail from the cohort's gradebook.
    page.goto("/teach/")
    page.get_by_role("link", name="Evening nursing").click()
    page.get_by_role("link", name="Invite learners by e-mail").click()
    axe.check(page)
    page.get_by_label("E-mail addresses").fill("lena@example.edu")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_text("Sent 1 invitation(s).")).to_be_visible()
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    log_out(page)

    # 3. The learner follows the link, signs up, joins and takes a quiz.
    page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Full name").fill("Lena Learner")
    page.get_by_label("Email").fill("lena@example.edu")
    page.get_by_label("Password:", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Password confirmation").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join a class")
    axe.check(page)
    page.get_by_role("button", name="Join the class").click()
    expect(page.get_by_text("You joined Evening nursing.")).to_be_visible()
    page.goto("/courses/klonopin/quizzes/withdrawal-safety/")
    page.get_by_role("button", name="Start the quiz").click()
    options = page.locator("fieldset.question").first.locator(
        "input[type=radio], input[type=checkbox]"
    )
    options.first.check()
    page.get_by_role("button", name="Finish attempt…").click()
    page.get_by_role("button", name="Submit all and finish").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review")
    log_out(page)

    # 4. The instructor opens that attempt from the gradebook and exports the CSV.
    log_in(page, "xavier")
    page.get_by_role("link", name="Evening nursing").click()
    page.get_by_role("link", name="Lena Learner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lena Learner")
    axe.check(page)
    page.get_by_role("link", name=re.compile("Withdrawal and tapering")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    expect(page.get_by_text("Learner's answer:").first).to_be_visible()
    axe.check(page)
    page.goto(cohort.get_absolute_url())
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert "Lena Learner" in Path(download.value.path()).read_text(encoding="utf-8-sig")

    # 5. The audit trail lists each step.
    page.goto("/teach/")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("audit")
    for label in ("Invited a learner by e-mail", "Joined a cohort", "Viewed a learner's progress",
                  "Viewed a learner's attempt", "Exported the gradebook (CSV)"):
        expect(page.get_by_role("cell", name=label).first).to_be_visible()
    axe.check(page)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"invite", "join", "view_learner", "view_attempt", "export_gradebook"} <= actions
    axe.assert_clean()


def test_teaching_pages_fit_the_window(page, klonopin):
    from quizzes.models import Quiz

    from ..factories import CohortFactory, UserFactory
    from ..test_instructors import pass_quiz

    teacher = make_instructor("wide", full_name="Wide Screen")
    cohort = CohortFactory(course=klonopin, name="Layout")
    cohort.instructors.add(teacher)
    quiz = Quiz.objects.get(slug="indications")
    for n in range(3):
        learner = UserFactory(username=f"lay{n}", full_name=f"A Rather Long Learner Name {n}")
        cohort.learners.add(learner)
        pass_quiz(learner, quiz)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "wide")
    gradebook = cohort.get_absolute_url()
    analysis = f"/teach/cohorts/{cohort.pk}/quizzes/{quiz.pk}/analysis/"
    learner = f"/teach/cohorts/{cohort.pk}/learners/{cohort.learners.first().pk}/"
    for url in (gradebook, analysis):
        page.goto(url)
        region = page.locator(".table-scroll").first
        # Every column shows: nothing scrolls inside the table's region.
        assert region.evaluate("r => r.scrollWidth <= r.clientWidth"), url
        assert no_wider_than_window(page), url
    for width in (375, 320):
        page.set_viewport_size({"width": width, "height": 800})
        for url in ("/teach/", gradebook, analysis, learner, f"/teach/cohorts/{cohort.pk}/invite/"):
            page.goto(url)
            assert no_wider_than_window(page), (width, url)
        page.goto(analysis)
        expect(page.locator("figure.chart-figure")).to_be_hidden()  # the table carries it


def test_question_editor_fits_and_is_labelled(page, axe, klonopin):
    from quizzes.models import Question

    make_instructor("author", full_name="An Author")
    question = Question.objects.get(external_id="wd-02")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "author")
    page.goto(f"/admin/quizzes/question/{question.pk}/change/")
    expect(page.get_by_text("Item-writing check (lint_bank)")).to_be_visible()
    expect(page.get_by_text("Preview (as a learner sees it)")).to_be_visible()
    assert no_wider_than_window(page)
    axe.check(page)
    axe.assert_clean()
