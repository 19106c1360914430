"""Browser tests: Playwright drives a real Chromium against the live server.

The system Chromium is used (CHROMIUM, default /usr/bin/chromium); the
Makefile installs it. Every page a test visits is audited with axe-core for
WCAG 2.1 A and AA.
"""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an event loop in this thread; the ORM calls the
# tests make between page actions are safe (they do not run inside the loop).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else None,
            args=CHROMIUM_ARGS,
        )
        yield launched
        launched.close()


def csp_violations(page):
    """Collect every Content-Security-Policy violation the browser reports."""
    found = []
    page.on(
        "console",
        lambda message: found.append(f"{page.url}: {message.text}")
        if "Content Security Policy" in message.text
        else None,
    )
    return found


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = csp_violations(page)
    yield page
    context.close()
    assert violations == [], "\n".join(violations)


class Auditor:
    """Runs axe on a page and collects every violation, with the URL it was on."""

    def __init__(self):
        self.axe = Axe()
        self.pages = []
        self.violations = []

    def check(self, page):
        results = self.axe.run(
            page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}}
        )
        self.pages.append(page.url)
        for violation in results.response["violations"]:
            targets = [node["target"] for node in violation["nodes"]]
            self.violations.append(f"{page.url}: {violation['id']} {targets}")

    def assert_clean(self):
        assert self.pages, "no page was audited"
        assert self.violations == [], "\n".join(self.violations)


@pytest.fixture
def axe():
    return Auditor()


def tab_to(page, selector, limit=120):
    """Press Tab until the focused element matches `selector`; the keyboard only."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def log_in(page, username, then="", password="correct-horse-battery"):
    """Through the site's own login page (so lockouts and redirects apply)."""
    page.goto(f"/accounts/login/?next={then}" if then else "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
