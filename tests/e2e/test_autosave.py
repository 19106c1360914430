"""Autosave in a real browser: ticked answers are kept without pressing Save,
an offline tick says "Not saved" and is sent when the connection is back, and
the summary before submitting works without JavaScript."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from quizzes.models import Attempt, Response

from ..factories import UserFactory
from .conftest import log_in

pytestmark = pytest.mark.e2e

QUIZ = "/courses/klonopin/quizzes/withdrawal-safety/"


def log_in_to_quiz(page, username):
    log_in(page, username, then=QUIZ)
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdrawal and tapering")


def start(page):
    page.click("main form button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    return Attempt.objects.get()


def first_option(page, response):
    return page.locator(f"#r{response.pk}-1")


def test_answers_are_saved_as_the_learner_goes_and_after_going_offline(page, axe, klonopin):
    UserFactory(username="ana")
    log_in_to_quiz(page, "ana")
    attempt = start(page)
    responses = list(attempt.responses.order_by("position"))
    status = page.locator("#save-status")
    counter = page.locator("#answered-count")
    expect(counter).to_have_text("0 of 13 answered.")

    # Tick three answers, never press Save.
    for response in responses[:3]:
        first_option(page, response).check()
    expect(counter).to_have_text("3 of 13 answered.")
    expect(status).to_contain_text("Saved at")
    axe.check(page)

    # Leave and come back: the answers are there and the counter is right.
    page.goto(QUIZ)
    page.click("a.button")  # Resume
    expect(counter).to_have_text("3 of 13 answered.")
    for response in responses[:3]:
        expect(first_option(page, response)).to_be_checked()
    stored = {r.pk: r.selected for r in Response.objects.filter(attempt=attempt)}
    assert all(stored[r.pk] for r in responses[:3]) and not stored[responses[3].pk]

    # Offline: the tick is not saved, and the learner is told.
    page.context.set_offline(True)
    first_option(page, responses[3]).check()
    expect(status).to_contain_text("Not saved")
    expect(counter).to_have_text("4 of 13 answered.")
    assert Response.objects.get(pk=responses[3].pk).selected == []

    # Back online: it is sent without any click.
    page.context.set_offline(False)
    expect(status).to_contain_text("Saved at", timeout=10_000)
    assert Response.objects.get(pk=responses[3].pk).selected != []
    page.reload()
    expect(first_option(page, responses[3])).to_be_checked()
    expect(counter).to_have_text("4 of 13 answered.")
    axe.check(page)
    axe.assert_clean()


def test_a_tick_after_the_session_ended_is_not_called_saved(page, klonopin):
    """The save's request is sent to the login page: the page says so, never
    "Saved at"; logged in again, the attempt has what was saved before."""
    UserFactory(username="ben")
    log_in_to_quiz(page, "ben")
    attempt = start(page)
    first, second = attempt.responses.order_by("position")[:2]
    status = page.locator("#save-status")
    first_option(page, first).check()
    expect(status).to_contain_text("Saved at")

    # The session ends (expired, or logged out in another tab).
    kept = [c for c in page.context.cookies() if c["name"] != settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(kept)
    first_option(page, second).check()
    expect(status).to_contain_text("Not saved: you are logged out")
    expect(status).not_to_contain_text("Saved at")
    assert Response.objects.get(pk=second.pk).selected == []

    # Logged in again, the reopened attempt shows what was saved, and saves.
    other = page.context.new_page()
    log_in(other, "ben", then=attempt.get_absolute_url())
    expect(first_option(other, first)).to_be_checked()
    expect(first_option(other, second)).not_to_be_checked()
    first_option(other, second).check()
    expect(other.locator("#save-status")).to_contain_text("Saved at")
    assert Response.objects.get(pk=second.pk).selected != []


def test_summary_before_submitting_works_without_javascript(browser, live_server, klonopin):
    UserFactory(username="nojs")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in_to_quiz(page, "nojs")
        attempt = start(page)
        responses = list(attempt.responses.order_by("position"))
        first_option(page, responses[0]).check()
        page.click('button[value="finish"]')
        expect(page.get_by_role("heading", level=1)).to_have_text("Summary of attempt 1")
        expect(page.get_by_text("12 of 13 questions not answered")).to_be_visible()
        rows = page.locator("table.summary tbody tr")
        expect(rows).to_have_count(13)
        expect(rows.filter(has_text="Not answered")).to_have_count(12)
        expect(rows.first).to_contain_text("Answer saved")
        # A link goes back to an unanswered question.
        rows.nth(1).get_by_role("link").click()
        expect(page).to_have_url(f"{live_server.url}/attempts/{attempt.pk}/#q{responses[1].pk}")
        page.click('button[value="finish"]')
        page.get_by_role("button", name="Submit all and finish").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Review")
        attempt.refresh_from_db()
        assert attempt.state == "submitted"
    finally:
        context.close()
