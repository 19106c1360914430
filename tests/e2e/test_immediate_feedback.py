"""Immediate feedback in a real browser, with the keyboard alone: an answer
ticked and checked at once (before autosave has sent it) is saved, scored and
locked with its rationale; a check with nothing ticked is refused with a
message; autosave never checks anything, and no "leave the page?" prompt
stands in the way of the Check button."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from quizzes.models import Attempt, Quiz, Response
from quizzes.scoring import score_response

from ..factories import UserFactory
from .conftest import log_in

pytestmark = pytest.mark.e2e

QUIZ = "/courses/klonopin/quizzes/withdrawal-safety/"


def verdict(snapshot, index):
    """What the page must say of ticking the option at `index` alone: the draw
    is random, so the question may be single-answer or select-all-that-apply
    (where one correct tick out of three earns a part of the mark)."""
    score = score_response(snapshot, [snapshot["choices"][index]["id"]])
    if score == 1:
        return "Correct."
    if score:
        percent = (score * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return f"Partly correct ({percent}%)."
    return "Not correct."


def test_check_scores_and_locks_one_question_with_the_keyboard(page, axe, klonopin):
    quiz = Quiz.objects.get(slug="withdrawal-safety")
    quiz.feedback = Quiz.Feedback.IMMEDIATE
    quiz.save()  # as the admin does: the cached quiz page follows
    UserFactory(username="kim")
    prompts = []  # a "leave the page?" prompt would stop the check: none may come

    def record(dialog):
        prompts.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", record)
    log_in(page, "kim", then=QUIZ)
    expect(page.locator("dl.facts")).to_contain_text("After each question is checked")
    page.get_by_role("button", name="Start the quiz").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    attempt = Attempt.objects.get(user__username="kim")
    first, second, third = attempt.responses.order_by("position")[:3]
    counter = page.locator("#answered-count")

    # Question 1: tick an option with the keyboard and check it straight away,
    # before autosave has had time to send the tick.
    page.locator(f"#r{first.pk}-2").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Check question 1", exact=True).focus()
    page.keyboard.press("Enter")
    checked = page.locator(f"#q{first.pk}")
    expect(checked).to_have_class("question is-checked")
    expect(checked).to_contain_text("Your answer:")
    expect(checked).to_contain_text("(correct answer)")
    expect(checked.locator(".verdict")).to_have_text(verdict(first.snapshot, 1))
    expect(checked.locator("input")).to_have_count(0)  # locked: nothing left to change
    expect(counter).to_have_text("1 of 13 answered.")
    assert prompts == []
    first.refresh_from_db()
    assert first.checked and first.score is not None and first.selected

    # Question 2: ticked and saved by autosave, which never checks it.
    page.locator(f"#r{second.pk}-1").focus()
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_contain_text("Saved at")
    second.refresh_from_db()
    assert second.selected and not second.checked
    expect(counter).to_have_text("2 of 13 answered.")

    # Question 3: checked with nothing ticked is refused, and nothing is saved.
    page.get_by_role("button", name="Check question 3", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("choose an answer to check")
    third.refresh_from_db()
    assert not third.checked and third.selected == []
    assert Response.objects.filter(attempt=attempt, checked=True).count() == 1
    assert prompts == []
    axe.check(page)
    axe.assert_clean()
