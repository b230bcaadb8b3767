"""Single sign-on in a real browser (issue 13): Chromium goes from the portal's sign-in
page through a real SAML identity provider (pysaml2's own IdP with its own keys, on a
local port, tests/accounts/saml/idp.py) and back, SP-initiated, with the HTTP-Redirect request and
the auto-submitted HTTP-POST response, and lands signed in."""

from __future__ import annotations

import datetime as dt
import re

import pytest

# Imported for its autouse: without xmlsec1 these skip, saying so (and fail in CI).
from tests.accounts.saml.conftest import _xmlsec1, configure, http_idp_allowed  # noqa: F401
from tests.accounts.saml.idp import TestIdp
from travelportal.accounts.models import SsoSignInEvent
from travelportal.accounts.saml.services import update_sso_options

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def entra():
    provider = TestIdp(name="Acme Entra").start()
    yield provider
    provider.stop()


@pytest.fixture
def acme_sso(company, entra, live_server, acme_admin):
    configuration = configure(company, entra, base_url=live_server.url)
    update_sso_options(
        configuration=configuration, require_sso=True, jit_provisioning=False, email_domains=["acme.example"]
    )
    return configuration


def sign_in_at_entra(page, username):
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/sso/redirect\?SAMLRequest="))
    page.get_by_label("Account").fill(username)
    page.get_by_role("button", name="Sign in").click()


# The SSO page's form-action allows http identity providers (this test's) only where they
# may be set up, as the Login URL does (travelportal.accounts.saml.views.sso_start).
@pytest.mark.usefixtures("http_idp_allowed")
def test_a_provisioned_person_signs_in_with_entra_and_lands_where_they_were_going(
    page, live_server, entra, acme_sso, acme_admin
):
    entra.add_person(acme_admin.username, given_name="Alice", surname="Admin")

    page.goto(f"{live_server.url}/company/people/")
    assert "/accounts/login/" in page.url
    page.get_by_role("link", name="Sign in with SSO").click()
    page.get_by_label("Work email").fill(acme_admin.username)
    page.get_by_role("button", name="Continue").click()
    sign_in_at_entra(page, acme_admin.username)

    page.wait_for_url(f"{live_server.url}/company/people/")
    assert page.get_by_role("heading", name="People").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    event = SsoSignInEvent.objects.get()
    assert (event.user_id, event.outcome) == (acme_admin.pk, "signed_in")
    # The admin finds the sign-in in the company's activity.
    page.goto(f"{live_server.url}/company/sign-in-activity/")
    assert page.get_by_role("cell", name="Signed in").is_visible()


def test_a_deactivated_person_is_told_and_not_signed_in(page, live_server, entra, acme_sso, traveller):
    traveller.is_active = False
    traveller.save(update_fields=["is_active"])
    entra.add_person(traveller.username)

    page.goto(f"{live_server.url}/sso/saml/acme/login/")
    sign_in_at_entra(page, traveller.username)

    page.wait_for_url(f"{live_server.url}/sso/saml/acme/acs/")
    assert page.get_by_role("heading", name="You are not signed in").is_visible()
    assert page.get_by_text("The person's account is deactivated.").is_visible()
    page.goto(f"{live_server.url}/company/")
    assert "/accounts/login/" in page.url


def test_require_sso_refuses_the_password_and_points_to_sso(page, live_server, acme_sso, traveller):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(traveller.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()

    assert page.get_by_role("alert").get_by_text("Your company signs in with single sign-on").is_visible()
    assert "/accounts/login/" in page.url


@pytest.mark.parametrize("jit", [True, False])
def test_just_in_time_creation_on_and_off(page, live_server, entra, company, jit):
    from travelportal.companies.models import User

    configure(company, entra, base_url=live_server.url, jit=jit)
    entra.add_person("nina@acme.example", given_name="Nina", surname="New")

    page.goto(f"{live_server.url}/sso/saml/acme/login/?next=/")
    sign_in_at_entra(page, "nina@acme.example")

    if jit:
        page.get_by_role("button", name="Sign out").wait_for()
        assert "/sso/saml/" not in page.url
        person = User.objects.get(username="nina@acme.example")
        assert (person.company_id, person.given_name, person.family_name) == (company.pk, "Nina", "New")
    else:
        page.wait_for_url(f"{live_server.url}/sso/saml/acme/acs/")
        assert page.get_by_text("No one of the company has this userName.").is_visible()
        assert not User.objects.filter(username="nina@acme.example").exists()


def test_an_admin_sets_up_sso_copying_three_values_each_way(page, live_server, entra, company, acme_admin, settings):
    """TravelPerk's Entra set-up: the portal's identifier, reply URL and sign-on URL go into
    Entra; Entra's metadata URL comes back; Test sign-in signs the admin in through Entra."""
    from urllib.request import urlopen

    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True
    entra.add_person(acme_admin.username)
    page.goto(f"{live_server.url}/accounts/login/?next=/company/integrations/sso")
    page.get_by_label("Email").fill(acme_admin.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Set up single sign-on").click()
    assert page.get_by_text("Copy the three values below into Entra").is_visible()

    # Into Entra: the three values (Entra reads the same from the SP metadata).
    identifier = page.locator("#sso-entity-id").input_value()
    reply_url = page.locator("#sso-acs-url").input_value()
    sign_on_url = page.locator("#sso-login-url").input_value()
    assert (identifier, reply_url, sign_on_url) == (
        f"{live_server.url}/sso/saml/acme/metadata/",
        f"{live_server.url}/sso/saml/acme/acs/",
        f"{live_server.url}/sso/saml/acme/login/",
    )
    with urlopen(identifier, timeout=10) as answer:
        entra.trust_sp(answer.read())

    # Back from Entra: its federation metadata URL (identifier, login URL, certificate).
    page.get_by_label("App Federation Metadata Url").fill(entra.entity_id)
    page.get_by_role("button", name="Read metadata").click()
    assert page.get_by_text("The identity provider is set from its metadata.").is_visible()
    assert page.get_by_role("cell", name="CN=Acme Entra").is_visible()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Test sign-in").click()
    tab = opened.value
    sign_in_at_entra(tab, acme_admin.username)
    tab.wait_for_url(f"{live_server.url}/company/integrations/sso")
    assert tab.get_by_role("heading", name="Recent SSO sign-ins").is_visible()
    assert tab.get_by_role("cell", name="Signed in").is_visible()


REFUSALS = {
    "unsigned": ({"sign_assertion": False}, "The assertion in the response was not signed."),
    "assertion unsigned under a signed response": (
        {"sign_assertion": False, "sign_response": True},
        "The assertion in the response was not signed.",
    ),
    "another certificate": ({"by": "forger"}, "not signed by one of the company's identity provider certificates"),
    "wrong audience": ({"audience": "globex"}, "meant for another service provider (audience)"),
    "wrong recipient": ({"destination": "globex"}, "addressed to another reply URL (recipient)"),
    "expired": ({"lifetime_minutes": -5}, "The assertion has expired."),
    "not yet valid": ({"clock_offset": dt.timedelta(minutes=5)}, "The assertion is not valid yet."),
    "unknown InResponseTo": ({"in_response_to": "id-the-portal-never-sent"}, "does not answer a sign-in the portal"),
    "unsolicited": ({"in_response_to": ""}, "does not answer a sign-in the portal"),
    "another company's IdP": ({"by": "other"}, "came from an identity provider this company does not use"),
}


@pytest.mark.parametrize("fault", list(REFUSALS), ids=list(REFUSALS))
def test_each_refusal_leaves_nobody_signed_in(page, live_server, entra, acme_sso, traveller, fault):
    changes, message = REFUSALS[fault]
    changes = dict(changes)
    helpers = []
    if changes.get("by") == "forger":
        changes["by"] = TestIdp(name="Forger", entity_id=entra.entity_id)
    elif changes.get("by") == "other":
        changes["by"] = TestIdp(name="Globex Entra")
    if "by" in changes:
        changes["by"].sp_metadata = entra.sp_metadata
        changes["by"].base_url = entra.base_url if changes["by"].name == "Forger" else "http://127.0.0.1:1"
        helpers.append(changes["by"])
    for key in ("audience", "destination"):
        if changes.get(key) == "globex":
            changes[key] = f"{live_server.url}/sso/saml/globex/{'metadata' if key == 'audience' else 'acs'}/"
    entra.add_person(traveller.username)
    entra.fault = changes
    try:
        page.goto(f"{live_server.url}/sso/saml/acme/login/")
        sign_in_at_entra(page, traveller.username)
        page.wait_for_url(f"{live_server.url}/sso/saml/acme/acs/")
    finally:
        for helper in helpers:
            helper.stop()

    assert page.get_by_role("heading", name="You are not signed in").is_visible()
    assert page.get_by_text(message).is_visible()
    event = SsoSignInEvent.objects.get()
    assert (event.outcome, event.user_id) == ("refused", None)
    page.goto(f"{live_server.url}/company/")
    assert "/accounts/login/" in page.url


def test_a_replayed_response_is_refused(page, live_server, entra, acme_sso, traveller):
    entra.add_person(traveller.username)
    page.goto(f"{live_server.url}/sso/saml/acme/login/")
    sign_in_at_entra(page, traveller.username)
    page.get_by_role("button", name="Sign out").click()

    # The same Response, posted again from the browser.
    page.set_content(
        f'<form method="post" action="{live_server.url}/sso/saml/acme/acs/">'
        f'<input type="hidden" name="SAMLResponse" value="{entra.last_response}"><button>Post</button></form>'
    )
    page.get_by_role("button", name="Post").click()

    page.wait_for_url(f"{live_server.url}/sso/saml/acme/acs/")
    assert page.get_by_text("This assertion was already used to sign in.").is_visible()
    page.goto(f"{live_server.url}/company/")
    assert "/accounts/login/" in page.url


def test_a_deleted_person_is_told_and_not_signed_in(page, live_server, entra, acme_sso, traveller):
    from django.utils import timezone

    traveller.deleted_at = timezone.now()
    traveller.save(update_fields=["deleted_at"])
    entra.add_person(traveller.username)

    page.goto(f"{live_server.url}/sso/saml/acme/login/")
    sign_in_at_entra(page, traveller.username)

    page.wait_for_url(f"{live_server.url}/sso/saml/acme/acs/")
    assert page.get_by_text("The person's account was deleted.").is_visible()


def test_a_response_got_in_another_browser_does_not_sign_the_victim_in(page, live_server, entra, acme_sso, traveller):
    """Login CSRF: the attacker starts a sign-in in their own browser, keeps Entra's signed
    Response without submitting it, and has the victim's browser POST it."""
    from urllib.parse import urlsplit

    from django.test import Client

    from tests.accounts.saml.idp import authn_request_query

    address = urlsplit(live_server.url)
    attacker = Client(HTTP_HOST=address.netloc)
    started = attacker.get("/sso/saml/acme/login/")
    request = entra.read_authn_request(authn_request_query(started["Location"]))
    saml_response = entra.response_for(request, traveller.username)

    page.set_content(
        f'<form method="post" action="{live_server.url}/sso/saml/acme/acs/">'
        f'<input type="hidden" name="SAMLResponse" value="{saml_response}"><button>Post</button></form>'
    )
    page.get_by_role("button", name="Post").click()

    page.wait_for_url(f"{live_server.url}/sso/saml/acme/acs/")
    assert page.get_by_text("started in another browser").is_visible()
    event = SsoSignInEvent.objects.get()
    assert (event.outcome, event.reason, event.user_id) == ("refused", "other_browser", None)
    page.goto(f"{live_server.url}/company/")
    assert "/accounts/login/" in page.url
