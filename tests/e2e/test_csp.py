"""The Content-Security-Policy is enforced on every page (the `page` fixture fails
a test on any violation the browser reports); the API docs work under theirs."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_pages_are_served_with_an_enforced_policy(page, klonopin):
    response = page.goto("/courses/klonopin/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_api_docs_render_under_their_policy(page):
    response = page.goto("/api/docs/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self' 'unsafe-inline'" in policy
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Clonazepam")
