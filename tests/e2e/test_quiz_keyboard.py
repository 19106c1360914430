"""A learner takes a quiz with the keyboard only: log in, start, answer single
and select-all items, save, resume, submit and read the review. axe audits
every quiz page."""

import pytest
from playwright.sync_api import expect

from quizzes.models import Attempt

from ..factories import UserFactory
from .conftest import tab_to

pytestmark = pytest.mark.e2e


def test_keyboard_only_quiz(page, axe, klonopin):
    UserFactory(username="kay", full_name="Kay Board")
    quiz_url = "/courses/klonopin/quizzes/how-clonazepam-works/"

    page.goto(f"/accounts/login/?next={quiz_url}")
    tab_to(page, "#id_username")
    page.keyboard.type("kay")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("How clonazepam works (GABA)")
    axe.check(page)

    tab_to(page, "form button[type=submit]:not(.link-button)")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    axe.check(page)

    attempt = Attempt.objects.get(user__username="kay")
    responses = list(attempt.responses.order_by("position"))
    assert len(responses) == 13
    # Answer the first four: the key, found by the test in the database (the page has none).
    for response in responses[:4]:
        choices = response.snapshot["choices"]
        key = [i for i, c in enumerate(choices) if c["correct"]]
        if response.snapshot["kind"] == "single":
            tab_to(page, f'input[name="r{response.pk}"]')
            page.keyboard.press("Space")
            for _ in range(key[0]):
                page.keyboard.press("ArrowDown")
        else:
            for index in key:
                tab_to(page, f"#r{response.pk}-{index + 1}")
                page.keyboard.press("Space")
        for index in range(len(choices)):
            box = page.locator(f"#r{response.pk}-{index + 1}")
            (expect(box).to_be_checked if index in key else expect(box).not_to_be_checked)()

    tab_to(page, 'button[value="save"]')
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()

    # A closed laptop loses nothing: leave, come back through the quiz page, resume.
    page.goto(quiz_url)
    tab_to(page, "a.button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    expect(page.locator("input:checked")).to_have_count(
        sum(sum(1 for c in r.snapshot["choices"] if c["correct"]) for r in responses[:4])
    )

    tab_to(page, 'button[value="finish"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary of attempt 1")
    expect(page.get_by_text("9 of 13 questions not answered")).to_be_visible()
    axe.check(page)
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review")
    expect(page.get_by_role("heading", level=2, name="Your score: 31%, not passed")).to_be_visible()
    expect(page.get_by_text("(correct answer)")).to_have_count(
        sum(sum(1 for c in r.snapshot["choices"] if c["correct"]) for r in responses)
    )
    axe.check(page)

    tab_to(page, 'a[href="/courses/klonopin/how-klonopin-works/"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("How Klonopin Works")

    page.goto(quiz_url)
    expect(page.get_by_role("cell", name="31%")).to_be_visible()
    axe.check(page)
    page.goto("/courses/klonopin/")
    expect(page.get_by_text("Best 31% after 1 attempt, not passed yet")).to_be_visible()
    axe.check(page)
    page.goto("/dashboard/")
    axe.check(page)
    axe.assert_clean()
