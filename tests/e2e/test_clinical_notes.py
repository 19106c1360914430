"""Every lesson shows the article as the source and the module's clinical notes
beside it, with citations that lead to the references page; axe finds nothing."""

import pytest
from playwright.sync_api import expect

from edu.courses.models import Lesson

pytestmark = pytest.mark.e2e


def test_lessons_show_referenced_notes_and_the_references_page(page, axe, klonopin):
    for lesson in Lesson.objects.filter(course=klonopin).order_by("position"):
        page.goto(lesson.get_absolute_url())
        expect(page.get_by_role("heading", level=2, name="From the source article")).to_be_visible()
        notes = page.locator("section.clinical-notes")
        expect(notes.get_by_role("heading", level=3, name="Key points")).to_be_visible()
        expect(notes.locator(".correction").first).to_contain_text("Correction:")
        expect(notes).to_contain_text("Last reviewed 26 November 2026")
        expect(page.locator("section.objectives li")).to_have_count(len(lesson.objectives))
        axe.check(page)

    page.goto(Lesson.objects.get(course=klonopin, slug="withdrawal-and-safety-concerns")
              .get_absolute_url())
    page.locator("section.clinical-notes a.ref", has_text="jcpg-2025-tapering").first.click()
    expect(page).to_have_url(f"{page.url.split('#')[0]}#ref-jcpg-2025-tapering")
    expect(page.get_by_role("heading", level=1)).to_have_text("References")
    expect(page.locator("#ref-jcpg-2025-tapering")).to_contain_text("Benzodiazepine Tapering")
    axe.check(page)
    axe.assert_clean()
