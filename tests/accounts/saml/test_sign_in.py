"""SP-initiated sign-in against the test identity provider (pysaml2's own IdP, its own
keys), with the test client: the person lands signed in, and every refusal leaves
nobody signed in, says why on the page and is recorded for the company."""

from __future__ import annotations

import datetime as dt

import pytest
from saml2.response import IncorrectlySigned

from tests.accounts.saml.conftest import configure, sign_in_through, signed_in_user_id, start
from tests.accounts.saml.idp import TestIdp, authn_request_query
from travelportal.accounts.models import SamlRequest, SeenAssertion, SsoSignInEvent, UserSession
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db
Reason = SsoSignInEvent.Reason


def assert_refused(response, client, reason, *, company):
    assert response.status_code == 403
    assert "You are not signed in" in response.content.decode()
    assert Reason(reason).label.replace("'", "&#x27;") in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not UserSession.objects.exists()
    event = SsoSignInEvent.objects.get()
    assert (event.company_id, event.outcome, event.reason, event.user_id) == (company.pk, "refused", reason, None)


def test_a_provisioned_person_signs_in_and_lands_where_they_were_going(client, acme_sso, idp, traveller, company):
    idp.add_person(traveller.username)

    response, _ = sign_in_through(client, idp, traveller.username, next_url="/company/")

    assert response.status_code == 302
    assert response["Location"] == "/company/"
    assert signed_in_user_id(client) == str(traveller.pk)
    assert UserSession.objects.get().session_key == client.session.session_key
    event = SsoSignInEvent.objects.get()
    assert (event.company_id, event.user_id, event.outcome, event.name_id) == (
        company.pk,
        traveller.pk,
        "signed_in",
        traveller.username,
    )
    assert event.ip_address == "127.0.0.1"
    # The request is used up and the assertion remembered.
    assert not SamlRequest.objects.exists()
    assert SeenAssertion.objects.filter(company=company).count() == 1


def test_without_next_the_person_lands_home(client, acme_sso, idp, traveller):
    response, _ = sign_in_through(client, idp, traveller.username)

    assert response["Location"] == "/"


def test_a_next_to_another_host_is_not_followed(client, acme_sso, idp, traveller):
    response, _ = sign_in_through(client, idp, traveller.username, next_url="https://evil.example/")

    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(traveller.pk)


def test_the_username_is_compared_without_case(client, acme_sso, idp, traveller):
    sign_in_through(client, idp, "TOM@Acme.Example")

    assert signed_in_user_id(client) == str(traveller.pk)


def test_an_opaque_name_id_is_not_matched_by_the_email_claim(client, acme_sso, idp, traveller, company):
    # Was: the emailaddress claim found the person when the NameID matched nobody. Claims
    # never find anyone now (tests/accounts/saml/test_browser_binding.py).
    response, _ = sign_in_through(
        client,
        idp,
        traveller.username,
        name_id="8f3c2a1e-opaque-object-id",
        claims={"emailaddress": traveller.username.upper(), "givenname": "Tom"},
    )

    assert_refused(response, client, Reason.UNKNOWN_PERSON, company=company)


def test_the_authn_request_is_signed_and_the_idp_refuses_it_tampered(client, acme_sso, idp):
    location = start(client)["Location"]
    query = authn_request_query(location)
    assert "Signature=" in query and "SigAlg=" in query
    idp.read_authn_request(query)  # verified with the SP certificate of the metadata

    with pytest.raises(IncorrectlySigned):
        idp.read_authn_request(query.replace("Signature=", "Signature=AAAA"))


# --- Refusals, each with nobody signed in ----------------------------------------------


def test_an_unsigned_response_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(client, idp, traveller.username, sign_assertion=False, sign_response=False)

    assert_refused(response, client, Reason.UNSIGNED, company=company)


def test_a_signed_response_with_an_unsigned_assertion_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(client, idp, traveller.username, sign_assertion=False, sign_response=True)

    assert_refused(response, client, Reason.UNSIGNED, company=company)


def test_a_response_and_assertion_both_signed_are_accepted(client, acme_sso, idp, traveller):
    response, _ = sign_in_through(client, idp, traveller.username, sign_assertion=True, sign_response=True)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(traveller.pk)


def test_a_signature_by_another_certificate_is_refused(client, acme_sso, idp, traveller, company):
    # Same entity ID, other keys: what a forger without Entra's key can make.
    forger = TestIdp(name="Forger", entity_id=idp.entity_id)
    forger.sp_metadata = idp.sp_metadata
    try:
        started = start(client)
        request = idp.read_authn_request(authn_request_query(started["Location"]))
        forged = forger.response_for(request, traveller.username)
    finally:
        forger.stop()

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": forged})

    assert_refused(response, client, Reason.BAD_SIGNATURE, company=company)
    assert SsoSignInEvent.objects.get().detail  # what pysaml2 said, for support staff


def test_an_assertion_for_another_audience_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(
        client, idp, traveller.username, audience="http://testserver/sso/saml/globex/metadata/"
    )

    assert_refused(response, client, Reason.WRONG_AUDIENCE, company=company)


def test_a_response_for_another_recipient_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(client, idp, traveller.username, destination="http://testserver/sso/saml/globex/acs/")

    assert_refused(response, client, Reason.WRONG_RECIPIENT, company=company)


def test_an_expired_assertion_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(client, idp, traveller.username, lifetime_minutes=-5)

    assert_refused(response, client, Reason.EXPIRED, company=company)


def test_an_assertion_not_yet_valid_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(client, idp, traveller.username, clock_offset=dt.timedelta(minutes=5))

    assert_refused(response, client, Reason.NOT_YET_VALID, company=company)


def test_a_small_clock_skew_is_allowed(client, acme_sso, idp, traveller, settings):
    assert settings.SSO_CLOCK_SKEW_SECONDS == 60
    response, _ = sign_in_through(client, idp, traveller.username, clock_offset=dt.timedelta(seconds=30))

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(traveller.pk)


def test_an_answer_to_a_request_the_portal_did_not_send_is_refused(client, acme_sso, idp, traveller, company):
    response, _ = sign_in_through(client, idp, traveller.username, in_response_to="id-the-portal-never-sent")

    assert_refused(response, client, Reason.UNSOLICITED, company=company)


def test_an_unsolicited_idp_initiated_response_is_refused(client, acme_sso, idp, traveller, company):
    saml_response = idp.response_for(
        None,
        traveller.username,
        in_response_to="",
        audience="http://testserver/sso/saml/acme/metadata/",
        destination="http://testserver/sso/saml/acme/acs/",
    )

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert_refused(response, client, Reason.UNSOLICITED, company=company)


def test_a_request_of_another_company_does_not_count(client, acme_sso, idp, traveller, company, other_company):
    configure(other_company, idp)
    started = start(client, slug="globex")
    request = idp.read_authn_request(authn_request_query(started["Location"]))
    # Acme's audience and reply URL, but the request Globex's sign-in sent.
    saml_response = idp.response_for(
        request,
        traveller.username,
        audience="http://testserver/sso/saml/acme/metadata/",
        destination="http://testserver/sso/saml/acme/acs/",
    )

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert_refused(response, client, Reason.UNSOLICITED, company=company)


def test_a_replayed_assertion_is_refused(client, acme_sso, idp, traveller, company):
    first, saml_response = sign_in_through(client, idp, traveller.username)
    assert first.status_code == 302
    client.logout()
    UserSession.objects.all().delete()

    again = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert again.status_code == 403
    assert signed_in_user_id(client) is None
    assert list(SsoSignInEvent.objects.order_by("created_at").values_list("outcome", "reason")) == [
        ("signed_in", ""),
        ("refused", Reason.REPLAYED),
    ]


def test_a_response_of_another_companys_identity_provider_is_refused(
    client, acme_sso, idp, other_idp, traveller, company, other_company
):
    configure(other_company, other_idp)
    other_idp.trust_sp(idp.sp_metadata[0])
    started = start(client)
    request = idp.read_authn_request(authn_request_query(started["Location"]))
    # Globex's own, validly signed IdP answers Acme's request.
    saml_response = other_idp.response_for(request, traveller.username)

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": saml_response})

    assert_refused(response, client, Reason.WRONG_ISSUER, company=company)


def test_a_deactivated_person_is_refused_with_a_page_that_says_so(client, acme_sso, idp, traveller, company):
    traveller.is_active = False
    traveller.save(update_fields=["is_active"])

    response, _ = sign_in_through(client, idp, traveller.username)

    assert_refused(response, client, Reason.DEACTIVATED, company=company)
    assert "account is deactivated" in response.content.decode()


def test_a_deleted_person_is_refused_with_a_page_that_says_so(client, idp, traveller, company):
    configure(company, idp, jit=True)
    traveller.deleted_at = dt.datetime.now(dt.UTC)
    traveller.save(update_fields=["deleted_at"])

    response, _ = sign_in_through(client, idp, traveller.username)

    assert_refused(response, client, Reason.DELETED, company=company)
    assert "account was deleted" in response.content.decode()
    # Not created again by just-in-time creation either.
    assert User.objects.filter(username__iexact=traveller.username).count() == 1


def test_a_person_of_another_company_is_not_found(client, acme_sso, idp, other_admin, company):
    response, _ = sign_in_through(client, idp, other_admin.username)

    assert_refused(response, client, Reason.UNKNOWN_PERSON, company=company)


def test_an_unknown_person_is_refused_without_just_in_time_creation(client, acme_sso, idp, company):
    idp.add_person("new@acme.example", given_name="Nina", surname="New")

    response, _ = sign_in_through(client, idp, "new@acme.example")

    assert_refused(response, client, Reason.UNKNOWN_PERSON, company=company)
    assert not User.objects.filter(username="new@acme.example").exists()


def test_just_in_time_creation_creates_the_person_from_the_claims(client, idp, company):
    configure(company, idp, jit=True)
    idp.add_person("nina@acme.example", given_name="Nina", surname="New")

    response, _ = sign_in_through(client, idp, "nina@acme.example")

    assert response.status_code == 302
    person = User.objects.get(username="nina@acme.example")
    assert (person.company_id, person.given_name, person.family_name, person.work_email, person.role) == (
        company.pk,
        "Nina",
        "New",
        "nina@acme.example",
        "traveller",
    )
    assert not person.has_usable_password()
    assert signed_in_user_id(client) == str(person.pk)
    assert SsoSignInEvent.objects.get().outcome == "created"


def test_just_in_time_creation_refuses_a_username_of_another_company(client, idp, company, other_admin):
    configure(company, idp, jit=True)

    response, _ = sign_in_through(client, idp, other_admin.username)

    assert_refused(response, client, Reason.CANNOT_CREATE, company=company)
    assert "is already taken" in SsoSignInEvent.objects.get().detail
    assert User.objects.filter(username__iexact=other_admin.username).get().company_id == other_admin.company_id


# --- Certificate rollover --------------------------------------------------------------


def test_both_certificates_are_trusted_during_a_rollover(client, company, traveller, settings):
    from travelportal.accounts.saml.keys import read_certificate
    from travelportal.accounts.saml.services import configure_identity_provider

    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True  # the test IdP's Login URL is http
    old = TestIdp(name="Entra old key").start()
    # The same identity provider (entity ID, login URL) signing with its next key.
    new = TestIdp(name="Entra new key", entity_id=old.entity_id)
    new.base_url = old.base_url
    try:
        configuration = configure(company, old)
        new.sp_metadata = old.sp_metadata
        configure_identity_provider(
            configuration=configuration,
            entity_id=old.entity_id,
            sso_url=old.sso_url,
            certificates=[read_certificate(old.certificate_pem), read_certificate(new.certificate_pem)],
        )
        for provider in (old, new):
            client.logout()
            response, _ = sign_in_through(client, provider, traveller.username)
            assert response.status_code == 302, provider.name
            assert signed_in_user_id(client) == str(traveller.pk)

        # Once the old certificate is removed, its signatures are refused.
        configure_identity_provider(
            configuration=configuration,
            entity_id=old.entity_id,
            sso_url=old.sso_url,
            certificates=[read_certificate(new.certificate_pem)],
        )
        client.logout()
        response, _ = sign_in_through(client, old, traveller.username)
        assert response.status_code == 403
        assert signed_in_user_id(client) is None
        assert SsoSignInEvent.objects.latest("pk").reason == Reason.BAD_SIGNATURE
    finally:
        old.stop()
        new.stop()


# --- Sessions --------------------------------------------------------------------------


def test_an_sso_session_ends_when_scim_deactivates_the_person(
    client, acme_sso, idp, traveller, django_capture_on_commit_callbacks
):
    from travelportal.companies.people import deactivate_person

    sign_in_through(client, idp, traveller.username)
    session_key = client.session.session_key
    assert UserSession.objects.filter(session_key=session_key).exists()

    with django_capture_on_commit_callbacks(execute=True):
        deactivate_person(user=traveller)

    assert not UserSession.objects.filter(session_key=session_key).exists()
    assert client.get("/company/").status_code == 302
    assert signed_in_user_id(client) is None


# --- Bad input: a clear page, never a 500 ----------------------------------------------


@pytest.mark.parametrize("posted", ["", "not base64 !!", "PGZvbz48L2Zvbz4=", "A" * 10])
def test_an_unreadable_response_is_refused_clearly(client, acme_sso, company, posted):
    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": posted})

    assert_refused(response, client, Reason.MALFORMED, company=company)


def test_xml_with_entities_is_refused(client, acme_sso, company):
    import base64

    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": base64.b64encode(bomb).decode()})

    assert_refused(response, client, Reason.MALFORMED, company=company)


def test_the_reply_url_refuses_get(client, acme_sso):
    assert client.get("/sso/saml/acme/acs/").status_code == 405


def test_an_unknown_company_is_a_clear_404(client, db):
    for url in ("/sso/saml/nobody/login/", "/sso/saml/nobody/metadata/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Single sign-on is not set up for this company." in response.content.decode()
    response = client.post("/sso/saml/nobody/acs/", {"SAMLResponse": "x"})
    assert response.status_code == 404
    assert not SsoSignInEvent.objects.exists()


def test_a_company_without_an_identity_provider_cannot_start_sign_in(client, company):
    from travelportal.accounts.saml.services import set_up_sso

    set_up_sso(company=company)

    response = client.get("/sso/saml/acme/login/")

    assert response.status_code == 404
    assert not SamlRequest.objects.exists()


def test_a_response_posted_to_a_company_without_an_identity_provider_is_refused(client, company):
    from travelportal.accounts.saml.services import set_up_sso

    set_up_sso(company=company)

    response = client.post("/sso/saml/acme/acs/", {"SAMLResponse": "PGZvbz48L2Zvbz4="})

    assert_refused(response, client, Reason.NOT_CONFIGURED, company=company)
