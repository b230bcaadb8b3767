"""The company admin's path through Company Settings in a real browser (issue 6).

An admin signs in, enables SCIM and creates a token that is shown once; a SCIM client
provisions a manager and two reports with that token; People shows them; turning on
automatic approval process creation makes a process appear; Provisioning activity lists
the requests and charts them; a report requests a trip and the manager approves it.

Playwright drives Debian's Chromium through the ``browser`` fixture of conftest (never
``playwright install``; without Chromium the test skips, except in CI). When it fails,
a screenshot of every page it visited is saved to test-artifacts/ (SCREENSHOTS=always
saves them on success too).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import urllib.request
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery staple"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

pytestmark = pytest.mark.browser

# The elements that stick out to the right of the viewport, to explain an overflow.
WIDE_JS = """
[...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.')
       + ' right=' + Math.round(el.getBoundingClientRect().right))
"""


class Screenshots:
    """Keeps a screenshot of every page visited; written to disk only when the test fails."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.shots: list[tuple[str, bytes]] = []

    def take(self, page, label: str) -> None:
        with contextlib.suppress(Exception):
            self.shots.append((label, page.screenshot(full_page=True)))

    def save(self) -> list[Path]:
        ARTIFACTS.mkdir(exist_ok=True)
        paths = []
        for index, (label, data) in enumerate(self.shots, 1):
            path = ARTIFACTS / f"{self.name}-{index:02}-{re.sub(r'[^a-z0-9]+', '-', label.lower())}.png"
            path.write_bytes(data)
            paths.append(path)
        return paths


@pytest.fixture
def screenshots(request):
    return Screenshots(request.node.name)


def _scim(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/scim/v2/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _user(user_name: str, given: str, family: str, manager_id: str | None = None) -> dict:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name,
        "externalId": user_name.split("@")[0],
        "active": True,
        "name": {"givenName": given, "familyName": family},
        "title": "Engineer",
        "emails": [{"type": "work", "value": user_name, "primary": True}],
    }
    if manager_id:
        body[ENTERPRISE] = {"manager": {"value": manager_id}}
    return body


def _sign_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_an_admin_sets_up_scim_and_approvals_in_the_browser(browser, live_server, screenshots, settings):
    from travelportal.companies.models import Company, User

    company = Company.objects.create(name="Acme", slug="acme", scim_enabled=False)
    User.objects.create_user(
        "alice@acme.example", PASSWORD, company=company, role=User.Role.ADMIN, given_name="Alice", family_name="Admin"
    )
    base = live_server.url
    # live_server speaks plain http, where a browser drops cookies marked Secure.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context()
    page = context.new_page()
    try:
        # Sign in; Company Settings opens on Integrations > SCIM.
        _sign_in(page, base, "alice@acme.example", "/company/")
        screenshots.take(page, "scim page")
        assert page.url.rstrip("/").endswith("/company/integrations/scim")
        assert page.locator("h1").inner_text() == "SCIM"
        assert page.locator("#scim-base-url").input_value() == f"{base}/scim/v2"

        # Enable SCIM API.
        page.click("text=Enable SCIM API")
        page.wait_for_load_state()
        screenshots.take(page, "scim enabled")
        assert "The SCIM API is enabled" in page.content()
        company.refresh_from_db()
        assert company.scim_enabled

        # Create a token: its value is shown once, with a copy button.
        page.fill("#id_name", "Entra ID")
        page.click("text=Create token")
        page.wait_for_load_state()
        screenshots.take(page, "token created")
        token = page.locator("#new-token-value").input_value()
        assert token.startswith("tps_")
        page.click("button[data-copy-target='#new-token-value']")
        page.wait_for_function(
            "document.querySelector(\"[data-copy-target='#new-token-value']\").textContent === 'Copied'"
        )
        page.goto(f"{base}/company/integrations/scim")
        assert token not in page.content()
        assert "Entra ID" in page.content()

        # A SCIM client provisions a manager and two reports with that token.
        status, manager = _scim(base, token, "POST", "Users", _user("mia@acme.example", "Mia", "Manager"))
        assert status == 201, manager
        for user_name, given in (("rob@acme.example", "Rob"), ("rae@acme.example", "Rae")):
            status, body = _scim(base, token, "POST", "Users", _user(user_name, given, "Report", manager["id"]))
            assert status == 201, body

        # People shows them, managed by SCIM.
        page.click("nav.sidebar >> text=People")
        page.wait_for_load_state()
        screenshots.take(page, "people")
        rows = page.locator("table tbody tr")
        assert rows.count() == 4
        for name in ("mia@acme.example", "rob@acme.example", "rae@acme.example"):
            assert page.locator("tr", has_text=name).locator(".badge", has_text="SCIM").count() == 1
        assert page.locator("tr", has_text="rob@acme.example").locator("td[data-label=Manager]").inner_text() == (
            "Mia Manager"
        )
        page.click("text=Rob Report")
        page.wait_for_load_state()
        screenshots.take(page, "person")
        assert "Your identity provider manages this person" in page.content()

        # Turning on automatic approval process creation makes a process appear.
        page.goto(f"{base}/company/integrations/scim")
        page.check("#id_approvals_through_idp")
        page.check("#id_auto_approval_processes")
        page.click("text=Save changes")
        page.wait_for_load_state()
        screenshots.take(page, "approvals saved")
        assert "Your changes have been saved." in page.content()
        page.click("nav.sidebar >> text=Approval processes")
        page.wait_for_load_state()
        screenshots.take(page, "approval processes")
        process_row = page.locator("table tbody tr", has_text="Automatic")
        assert process_row.count() >= 1
        assert "Mia Manager" in process_row.first.inner_text()

        # Provisioning activity lists the requests, and its chart counts the creates.
        page.click("nav.sidebar >> text=Provisioning activity")
        page.wait_for_load_state()
        screenshots.take(page, "provisioning activity")
        assert page.locator("table.log tbody tr", has_text="Create").count() >= 3
        assert page.locator("[data-series=creates]").inner_text() == "3"
        assert page.locator("svg.chart rect.bar-creates").count() >= 1
        assert page.locator("svg.chart[role=img] > title").text_content() == "Provisioning activity per hour"

        # On a phone the settings pages fit the screen.
        phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
        phone_page = phone.new_page()
        for path in (
            "/company/integrations/scim",
            "/company/people/",
            "/company/travel-policies/new/",
            "/company/provisioning-activity/",
        ):
            phone_page.goto(f"{base}{path}")
            screenshots.take(phone_page, f"phone {path}")
            overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow}px wider than a phone screen: {phone_page.evaluate(WIDE_JS)}"
        phone.close()

        # A report requests a trip that needs approval; the manager approves it from their queue.
        for user_name in ("rob@acme.example", "mia@acme.example"):
            person = User.objects.get(username=user_name)
            person.set_password(PASSWORD)
            person.save(update_fields=["password"])
        report = browser.new_context().new_page()
        _sign_in(report, base, "rob@acme.example", "/trips/new/")
        start = dt.date.today() + dt.timedelta(days=14)
        report.fill("#id_destination", "Lisbon")
        report.fill("#id_start_date", start.isoformat())
        report.fill("#id_end_date", (start + dt.timedelta(days=2)).isoformat())
        report.fill("#id_purpose", "Customer visit")
        report.fill("#id_estimated_cost", "800")
        report.click("text=Request trip")
        report.wait_for_load_state()
        screenshots.take(report, "trip requested")
        assert "It now waits for approval" in report.content()

        manager_page = browser.new_context().new_page()
        _sign_in(manager_page, base, "mia@acme.example", "/approvals/queue/")
        screenshots.take(manager_page, "approval queue")
        manager_page.locator("tr", has_text="Lisbon").locator("button", has_text="Approve").click()
        manager_page.wait_for_load_state()
        screenshots.take(manager_page, "approved")

        report.reload()
        screenshots.take(report, "trip approved")
        assert "Approved" in report.content()
    except BaseException:
        screenshots.take(page, "last admin page")
        saved = screenshots.save()
        print(f"Saved {len(saved)} screenshots to {ARTIFACTS}")
        raise
    else:
        if os.environ.get("SCREENSHOTS") == "always":
            screenshots.save()
    finally:
        context.close()
