"""A new learner signs up, reads two lessons, marks them complete and sees the
progress bar move; axe audits every page on the way."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_new_learner_reads_two_lessons_and_sees_progress(page, axe, klonopin):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")
    axe.check(page)

    page.get_by_role("link", name=klonopin.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(klonopin.title)
    axe.check(page)

    page.get_by_role("main").get_by_role("link", name="sign up").click()
    axe.check(page)
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Full name").fill("Grace O’Neill")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password:", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Password confirmation").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Create account").click()

    # Back on the outline, signed in: nothing done yet.
    expect(page.get_by_text("0 of 7 lessons complete")).to_be_visible()
    expect(page.locator("progress#course-progress")).to_have_attribute("value", "0")
    axe.check(page)

    for number, title in enumerate(("Introduction", "How Klonopin Works"), start=1):
        page.get_by_role("link", name=title, exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        axe.check(page)
        page.get_by_role("button", name="Mark as complete and continue").click()
        # Completing moves on along the path (the next lesson, or its quiz).
        expect(page.get_by_text(f"“{title}” marked as complete.")).to_be_visible()
        axe.check(page)
        page.get_by_role("link", name=klonopin.title).first.click()
        expect(page.get_by_text(f"{number} of 7 lessons complete")).to_be_visible()
        expect(page.locator("progress#course-progress")).to_have_attribute(
            "value", str(number)
        )

    page.get_by_role("link", name="Medical Uses of Klonopin").click()
    expect(page.locator(".lesson-body ul li")).to_have_count(4)
    axe.check(page)

    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_text("2 of 7 lessons complete")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Next step"))).to_contain_text(
        "How clonazepam works (GABA)"
    )
    axe.check(page)

    page.goto("/courses/klonopin/no-such-lesson/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    axe.check(page)

    axe.assert_clean()


def test_keyboard_reaches_skip_link_and_lesson_navigation(page, axe, klonopin):
    page.goto("/courses/klonopin/introduction/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    # Tab onward from main until the "Next" lesson link has focus, then follow it.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.rel") == "next":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("How Klonopin Works")
    axe.check(page)
    page.goto("/accounts/login/")
    axe.check(page)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/courses/klonopin/medical-uses-of-klonopin/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    axe.check(page)
    axe.assert_clean()
