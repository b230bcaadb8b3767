"""An Entra admin clicks Authorize, in a real browser: sign in, consent, back to Entra with
a code the token endpoint accepts (issue 4)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENTRA_REDIRECT = "https://portal.azure.com/TokenAuthorize"


def test_an_admin_authorizes_entra_and_entra_gets_a_working_token(page, live_server, acme_admin, company):
    from oauth2_provider.models import get_access_token_model

    from travelportal.tokens.services import find_bearer_credential, register_entra_application

    entra = register_entra_application()
    client_id = entra.application.client_id
    # There is no network: catch the redirect back to Entra instead of following it.
    arrived: list[str] = []

    def entra_landing(route):
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Entra</h1>")

    page.route("https://portal.azure.com/**", entra_landing)

    def consent_post(route):
        # Playwright routes only the first request of a redirect chain; answering the
        # consent POST here (with the portal's own 302) makes the hop to Entra a request
        # of its own, which the route above then catches.
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(response=route.fetch(max_redirects=0))

    page.route(f"{live_server.url}/oauth2/authorize/**", consent_post)
    query = urllib.parse.urlencode(
        {"response_type": "code", "client_id": client_id, "redirect_uri": ENTRA_REDIRECT, "state": "st4te-xyz"}
    )

    page.goto(f"{live_server.url}/oauth2/authorize/?{query}")

    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill(acme_admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("button", name="Authorize App").wait_for()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "Acme" in heading
    assert "Microsoft Entra ID provisioning" in heading
    assert "deactivate and delete Acme's users" in page.content()
    assert page.get_by_role("button", name="Cancel").is_visible()

    page.get_by_role("button", name="Authorize App").click()
    page.wait_for_url(f"{ENTRA_REDIRECT}?**")
    assert page.get_by_role("heading", name="Entra").is_visible()

    assert len(arrived) == 1
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(arrived[0]).query))
    assert params["state"] == "st4te-xyz"
    assert params["code"]

    # Entra exchanges the code at the token endpoint, form-encoded, secret in the body.
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": ENTRA_REDIRECT,
            "client_id": client_id,
            "client_secret": entra.client_secret,
        }
    ).encode()
    with urllib.request.urlopen(
        urllib.request.Request(f"{live_server.url}/oauth2/token/", data=body, method="POST"), timeout=10
    ) as response:
        assert response.status == 200
        tokens = json.load(response)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]
    credential = find_bearer_credential(tokens["access_token"])
    assert credential.company == company
    assert get_access_token_model().objects.get().user == acme_admin


def test_a_traveller_is_told_why_they_cannot_authorize(page, live_server, traveller):
    from travelportal.tokens.services import register_entra_application

    entra = register_entra_application()
    query = urllib.parse.urlencode(
        {"response_type": "code", "client_id": entra.application.client_id, "redirect_uri": ENTRA_REDIRECT}
    )

    page.goto(f"{live_server.url}/oauth2/authorize/?{query}")
    page.get_by_label("Email").fill(traveller.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("heading", name="Only a company admin can authorize this connection").is_visible()
    assert page.get_by_role("button", name="Authorize App").count() == 0
