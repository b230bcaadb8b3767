"""The pages under their Content-Security-Policy in Chromium (issue 21): no violation is
reported on the console, and the API docs, whose libraries write styles at run time,
still render."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SETTINGS_PAGES = ["/company/", "/company/people/", "/company/integrations/scim", "/company/integrations/sso"]
# Redoc's "API docs by Redocly" footer asks cdn.redoc.ly for its logo: img-src refuses it
# (the docs load nothing from outside) and Redoc leaves the logo out.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def reported(page):
    """Console messages and page errors that a content policy refused something."""
    messages: list[str] = []

    def seen(text: str) -> None:
        if "Content Security Policy" in text or "Content-Security-Policy" in text or "unsafe-eval" in text:
            messages.append(text)

    page.on("console", lambda message: seen(message.text))
    page.on("pageerror", lambda error: seen(str(error)))
    return messages


def outside_the_known(messages: list[str]) -> list[str]:
    return [text for text in messages if REDOC_LOGO not in text]


def test_sign_in_and_company_settings_report_no_violation(page, live_server, acme_admin, reported):
    page.goto(f"{live_server.url}/accounts/login/?next=/company/")
    page.get_by_label("Email").fill(acme_admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Sign out").wait_for()
    for path in SETTINGS_PAGES:
        page.goto(f"{live_server.url}{path}")
        assert page.get_by_text("Company Settings").first.is_visible()
    page.goto(f"{live_server.url}/accounts/sso/")

    assert reported == []


def test_swagger_ui_renders_under_the_policy(page, live_server, reported):
    page.goto(f"{live_server.url}/api/docs/")

    page.locator(".swagger-ui .info .title").get_by_text("Travel Portal API").wait_for()
    page.locator(".opblock").first.wait_for()
    assert reported == []


def test_redoc_renders_under_the_policy_and_loads_nothing_from_outside(page, live_server, reported):
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url) if live_server.url not in request.url else None)
    page.goto(f"{live_server.url}/api/docs/redoc/")

    page.get_by_role("heading", name="Travel Portal API").first.wait_for()
    page.locator("[data-section-id]").first.wait_for()
    # Redoc's styles (written at run time, with the nonce) apply: its menu is laid out.
    assert page.locator(".menu-content").evaluate("el => getComputedStyle(el).display") != "inline"
    assert outside_the_known(reported) == []
    # The logo is asked for and refused by img-src; nothing else leaves the portal.
    assert [url for url in outside if not url.startswith(("data:", "blob:")) and url != REDOC_LOGO] == []
