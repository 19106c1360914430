"""A learner follows only "Next" and "Continue" from the first lesson to the
certificate, through every lesson and quiz in the outline's order; and every
learner page fits a phone (320 and 375 px) with no axe violation."""

import re

import pytest
from playwright.sync_api import expect

from edu.courses.models import Certificate
from quizzes.models import Attempt, Quiz
from quizzes.services import start_attempt

from ..factories import CohortFactory, UserFactory
from .conftest import log_in

pytestmark = pytest.mark.e2e


def answer_with_the_key(page):
    """Tick the key of every question (the test reads it from the database; the
    page has none), then finish and submit."""
    attempt = Attempt.objects.get(pk=int(re.search(r"/attempts/(\d+)/", page.url).group(1)))
    for response in attempt.responses.order_by("position"):
        for index, choice in enumerate(response.snapshot["choices"], start=1):
            if choice["correct"]:
                page.locator(f"#r{response.pk}-{index}").check()
    page.get_by_role("button", name="Finish attempt…").click()
    page.get_by_role("button", name="Submit all and finish").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review")


def test_next_and_continue_lead_through_the_whole_course(page, axe, klonopin):
    UserFactory(username="pathfinder", full_name="Pat Finder")
    outline_order = []
    log_in(page, "pathfinder", "/courses/klonopin/")
    for item in page.locator("ol.lesson-list > li").all():
        outline_order.append(item.locator("a").first.inner_text())
        outline_order += [q.inner_text().removeprefix("Quiz: ")
                          for q in item.locator(".quiz-list a[href*='/quizzes/']").all()]
    page.get_by_role("link", name="Introduction").click()

    visited = []
    for _ in range(40):
        heading = page.get_by_role("heading", level=1).inner_text()
        if "/quizzes/" in page.url:  # a quiz page: take it, then continue
            visited.append(heading)
            page.get_by_role("button", name=re.compile("Start")).click()
            answer_with_the_key(page)
            page.get_by_role("link", name=re.compile("^Continue")).click()
        elif page.get_by_role("button", name=re.compile("^Mark as complete")).count():
            visited.append(heading)
            page.get_by_role("button", name=re.compile("^Mark as complete")).click()
        else:
            break
    assert visited == outline_order
    # The path ends where the certificate is claimed.
    expect(page).to_have_url(re.compile(r"/courses/klonopin/#certificate$"))
    page.get_by_role("button", name="Get your certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of completion")
    assert Certificate.objects.filter(user__username="pathfinder").exists()
    axe.check(page)
    axe.assert_clean()


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") == page.viewport_size["width"]


WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => !e.parentElement.closest('.table-scroll'))
  .slice(0, 4)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def test_every_learner_page_fits_a_phone(page, axe, klonopin):
    learner = UserFactory(username="phone", full_name="A Learner With Quite A Long Full Name")
    CohortFactory(course=klonopin, name="Phone class", join_code="PHONE234")
    log_in(page, "phone", "/courses/klonopin/quizzes/withdrawal-safety/")
    page.get_by_role("button", name="Start the quiz").click()
    attempt_url = page.url
    page.get_by_role("button", name="Finish attempt…").click()
    summary_url = page.url
    page.get_by_role("button", name="Submit all and finish").click()
    review_url = page.url

    from edu.courses.services import issue_certificate

    from ..test_instructors import complete_course

    complete_course(learner, klonopin)
    certificate = issue_certificate(user=learner, course=klonopin)
    second, _ = start_attempt(user=learner, quiz=Quiz.objects.get(slug="indications"))
    pages = [
        *[lesson.get_absolute_url() for lesson in klonopin.lessons.all()],
        "/courses/klonopin/", "/courses/klonopin/references/", "/",
        "/courses/klonopin/quizzes/withdrawal-safety/",
        "/courses/klonopin/quizzes/final-assessment/",
        attempt_url, summary_url, review_url, second.get_absolute_url(),
        "/dashboard/", "/accounts/account/", "/accounts/password_change/",
        certificate.get_absolute_url(), f"/verify/{certificate.code}/", "/cohorts/join/",
    ]
    for width in (320, 375):
        page.set_viewport_size({"width": width, "height": 740})
        for url in pages:
            page.goto(url)
            assert fits(page), (width, url, page.evaluate(WIDE))
            axe.check(page)
    axe.assert_clean()
