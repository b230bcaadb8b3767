"""Issue 21, part 3: SAML sign-in bound to the browser that started it. Each test sends
the attacker's exact requests: a Response posted from another browser (login CSRF), a
Response whose claims name someone else, a ``next`` that lost its query, an http Login
URL, and a flood of unsigned Responses."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from tests.accounts.saml.conftest import configure, sign_in_through, signed_in_user_id, start
from tests.accounts.saml.idp import authn_request_query
from tests.accounts.saml.test_settings_page import manual_data
from travelportal.accounts import throttling
from travelportal.accounts.models import SamlRequest, SsoConfiguration, SsoSignInEvent, UserSession
from travelportal.accounts.saml.services import update_sso_options
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db
Reason = SsoSignInEvent.Reason


def attackers_response(provider, username, **fault):
    """What the attacker gets in their own browser and does not submit: a signed Response
    to a sign-in the attacker started, naming the attacker."""
    attacker = Client()
    started = start(attacker)
    request = provider.read_authn_request(authn_request_query(started["Location"]))
    return provider.response_for(request, username, **fault)


# --- 1. Login CSRF ---------------------------------------------------------------------


def test_a_response_started_in_another_browser_is_refused(client, acme_sso, idp, traveller, company):
    saml_response = attackers_response(idp, traveller.username)

    # The victim's browser, made to POST it (an auto-submitting form on the attacker's page).
    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert response.status_code == 403
    assert "started in another browser" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not UserSession.objects.exists()
    event = SsoSignInEvent.objects.get()
    assert (event.company_id, event.outcome, event.reason, event.user_id) == (
        company.pk,
        "refused",
        Reason.OTHER_BROWSER,
        None,
    )
    assert event.name_id == f"unverified NameID: {traveller.username}"
    # The attacker's request is not used up by the refusal.
    assert SamlRequest.objects.count() == 1


def test_a_response_of_another_browser_is_refused_while_the_victim_signs_in_too(
    client, acme_sso, idp, traveller, acme_admin
):
    saml_response = attackers_response(idp, traveller.username)
    start(client)  # the victim's own sign-in, with its own cookie

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert SsoSignInEvent.objects.get().reason == Reason.OTHER_BROWSER


def test_a_cookie_of_another_sign_in_does_not_bind(client, acme_sso, idp, traveller):
    saml_response = attackers_response(idp, traveller.username)
    client.cookies["sso_request"] = "a-nonce-the-attacker-made-up"

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert response.status_code == 403
    assert SsoSignInEvent.objects.get().reason == Reason.OTHER_BROWSER


def test_starting_sign_in_sets_a_short_lived_cookie_the_idps_post_carries(client, acme_sso, settings):
    response = start(client)

    cookie = response.cookies["sso_request"]
    assert len(cookie.value) >= 40
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "None", "/sso/saml/")
    assert cookie["max-age"] == settings.SSO_REQUEST_MAX_AGE_SECONDS
    assert not cookie["secure"]
    # Only the nonce's hash is stored.
    stored = SamlRequest.objects.get().browser_nonce_hash
    assert len(stored) == 64 and cookie.value not in stored


def test_the_cookie_is_secure_when_the_request_is(client, acme_sso):
    response = client.get("/sso/saml/acme/login/", secure=True)

    assert response.cookies["sso_request"]["secure"] is True


def test_the_browser_that_started_signs_in_and_its_cookie_is_cleared(client, acme_sso, idp, traveller):
    response, _ = sign_in_through(client, idp, traveller.username)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(traveller.pk)
    assert response.cookies["sso_request"].value == ""


def test_an_idp_initiated_response_stays_refused(client, acme_sso, idp, traveller, company):
    start(client)
    saml_response = idp.response_for(
        None,
        traveller.username,
        in_response_to="",
        audience="http://testserver/sso/saml/acme/metadata/",
        destination="http://testserver/sso/saml/acme/acs/",
    )

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert SsoSignInEvent.objects.get().reason == Reason.UNSOLICITED


# --- 2. Matching by the NameID only ----------------------------------------------------


def test_an_unknown_name_id_with_the_admins_email_claim_is_refused(client, acme_sso, idp, acme_admin, company):
    response, _ = sign_in_through(
        client,
        idp,
        "mallory@acme.example",
        claims={"emailaddress": acme_admin.username, "name": acme_admin.username},
    )

    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    event = SsoSignInEvent.objects.get()
    assert (event.reason, event.user_id, event.name_id) == (Reason.UNKNOWN_PERSON, None, "mallory@acme.example")


def test_with_just_in_time_creation_the_admins_email_claim_creates_nobody_who_is_admin(
    client, idp, company, acme_admin
):
    configure(company, idp, jit=True)

    response, _ = sign_in_through(
        client, idp, "mallory@acme.example", claims={"emailaddress": acme_admin.username, "name": acme_admin.username}
    )

    assert response.status_code == 302
    assert signed_in_user_id(client) != str(acme_admin.pk)
    mallory = User.objects.get(username="mallory@acme.example")
    assert (mallory.role, signed_in_user_id(client)) == ("traveller", str(mallory.pk))


def test_an_externalid_company_matches_the_object_id_name_id(client, acme_sso, idp, traveller):
    traveller.external_id = "5f0c9a52-object-id"
    traveller.save(update_fields=["external_id"])
    update_sso_options(
        configuration=acme_sso, require_sso=False, jit_provisioning=False, name_id_attribute="external_id"
    )

    response, _ = sign_in_through(client, idp, traveller.username, name_id="5f0c9a52-object-id")

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(traveller.pk)


def test_an_externalid_company_does_not_match_the_username(client, acme_sso, idp, traveller):
    traveller.external_id = "5f0c9a52-object-id"
    traveller.save(update_fields=["external_id"])
    update_sso_options(
        configuration=acme_sso, require_sso=False, jit_provisioning=False, name_id_attribute="external_id"
    )

    response, _ = sign_in_through(client, idp, traveller.username)

    assert response.status_code == 403
    assert SsoSignInEvent.objects.get().reason == Reason.UNKNOWN_PERSON


def test_the_sso_page_saves_what_the_name_id_matches(acme_admin_client, company, idp):
    configure(company, idp)

    response = acme_admin_client.post(
        "/company/integrations/sso/options", {"name_id_attribute": "external_id", "email_domains": ""}
    )

    assert response.status_code == 302
    assert SsoConfiguration.objects.get().name_id_attribute == "external_id"
    page = acme_admin_client.get("/company/integrations/sso").content.decode()
    assert 'name="name_id_attribute"' in page and "externalId (Entra object ID)" in page


def test_the_sso_page_refuses_another_name_id_attribute(acme_admin_client, company, idp):
    configure(company, idp)

    response = acme_admin_client.post("/company/integrations/sso/options", {"name_id_attribute": "email"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert SsoConfiguration.objects.get().name_id_attribute == "username"


# --- 3. Just-in-time creation takes the userName from the NameID -----------------------


def test_just_in_time_creation_takes_the_username_from_the_name_id(client, idp, company):
    configure(company, idp, jit=True)

    response, _ = sign_in_through(
        client,
        idp,
        "nina@acme.example",
        claims={"emailaddress": "nina.new@mail.example", "givenname": "Nina", "surname": "New"},
    )

    assert response.status_code == 302
    person = User.objects.get(company=company, username="nina@acme.example")
    assert (person.work_email, person.given_name) == ("nina.new@mail.example", "Nina")
    assert not User.objects.filter(username="nina.new@mail.example").exists()


# --- 4. next survives every step -------------------------------------------------------


@pytest.mark.parametrize("next_url", ["/trips/?page=1&all=1", "/trips/?page=1&all=1#upcoming"])
def test_next_with_a_query_survives_the_sso_path(client, acme_sso, idp, traveller, next_url):
    update_sso_options(
        configuration=acme_sso, require_sso=False, jit_provisioning=False, email_domains=["acme.example"]
    )

    found = client.get("/accounts/sso/", {"email": traveller.username, "next": next_url})
    started = client.get(found["Location"])
    request = idp.read_authn_request(authn_request_query(started["Location"]))
    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": idp.response_for(request, traveller.username)})

    assert found["Location"].startswith("/sso/saml/acme/login/?next=/trips/%3Fpage%3D1%26all%3D1")
    assert response.status_code == 302
    assert response["Location"] == next_url


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/trips/", "/\\evil.example/"])
def test_next_to_another_host_is_still_dropped(client, acme_sso, idp, traveller, next_url):
    update_sso_options(
        configuration=acme_sso, require_sso=False, jit_provisioning=False, email_domains=["acme.example"]
    )

    found = client.get("/accounts/sso/", {"email": traveller.username, "next": next_url})
    response, _ = sign_in_through(client, idp, traveller.username, next_url=next_url)

    assert found["Location"] == "/sso/saml/acme/login/"
    assert response["Location"] == "/"


# --- 5. The Login URL is https ---------------------------------------------------------


def test_an_http_login_url_is_refused_with_a_field_error(acme_admin_client, company, idp):
    from travelportal.accounts.saml.services import set_up_sso

    set_up_sso(company=company)

    response = acme_admin_client.post("/company/integrations/sso/idp", manual_data(idp))

    assert response.status_code == 400
    assert "The Login URL must start with https://." in response.content.decode()
    configuration = SsoConfiguration.objects.get()
    assert (configuration.idp_entity_id, configuration.idp_sso_url) == ("", "")
    assert not configuration.idp_certificates.exists()


def test_metadata_with_an_http_login_url_is_refused(acme_admin_client, company, idp):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from travelportal.accounts.saml.services import set_up_sso

    set_up_sso(company=company)
    upload = SimpleUploadedFile("federationmetadata.xml", idp.metadata_xml().encode(), "text/xml")

    response = acme_admin_client.post("/company/integrations/sso/idp/metadata", {"metadata_file": upload})

    assert response.status_code == 400
    assert "The Login URL must start with https://." in response.content.decode()
    assert SsoConfiguration.objects.get().idp_sso_url == ""


def test_an_https_login_url_is_accepted(acme_admin_client, company, idp):
    from travelportal.accounts.saml.services import set_up_sso

    set_up_sso(company=company)

    response = acme_admin_client.post(
        "/company/integrations/sso/idp", manual_data(idp, idp_sso_url="https://login.microsoftonline.com/t/saml2")
    )

    assert response.status_code == 302
    assert SsoConfiguration.objects.get().idp_sso_url == "https://login.microsoftonline.com/t/saml2"


# --- 6. Refusals: unverified NameIDs and a limit per client ----------------------------


def test_a_refused_unsigned_response_records_its_name_id_as_unverified(client, acme_sso, idp, acme_admin):
    response, _ = sign_in_through(client, idp, acme_admin.username, sign_assertion=False)

    assert response.status_code == 403
    event = SsoSignInEvent.objects.get()
    assert (event.reason, event.name_id) == (Reason.UNSIGNED, f"unverified NameID: {acme_admin.username}")


def test_a_signed_in_person_is_recorded_by_the_verified_name_id(client, acme_sso, idp, traveller):
    sign_in_through(client, idp, traveller.username)

    assert SsoSignInEvent.objects.get().name_id == traveller.username


def test_a_flood_of_unsigned_posts_gets_429_without_filling_the_activity(client, acme_sso, idp, traveller):
    forged = base64.b64encode(b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>").decode()
    limit = throttling.SSO_REFUSALS_PER_MINUTE

    answers = [client.post("/sso/saml/acme/acs/", {"SAMLResponse": forged}).status_code for _ in range(limit + 3)]

    assert answers == [403] * limit + [429] * 3
    assert SsoSignInEvent.objects.count() == limit
    # Another client address is not limited.
    other = client.post("/sso/saml/acme/acs/", {"SAMLResponse": forged}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 403
    assert SsoSignInEvent.objects.count() == limit + 1


def test_the_limit_is_per_minute(client, acme_sso, monkeypatch):
    import time

    forged = base64.b64encode(b"<x/>").decode()
    for _ in range(throttling.SSO_REFUSALS_PER_MINUTE):
        client.post("/sso/saml/acme/acs/", {"SAMLResponse": forged})
    assert client.post("/sso/saml/acme/acs/", {"SAMLResponse": forged}).status_code == 429

    later = time.time() + 61
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)

    assert client.post("/sso/saml/acme/acs/", {"SAMLResponse": forged}).status_code == 403
