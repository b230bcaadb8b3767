"""Company Settings > Integrations > SSO and Sign-in activity: the permission matrix, each
form's happy path with the stored state checked, and refusals that write nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.saml.conftest import configure, sign_in_through
from travelportal.accounts.models import IdpCertificate, SsoConfiguration, SsoEmailDomain, SsoSignInEvent
from travelportal.accounts.saml.services import set_up_sso

pytestmark = pytest.mark.django_db

GET_PAGES = ["/company/integrations/sso", "/company/integrations/sso/", "/company/sign-in-activity/"]
POST_ENDPOINTS = [
    "/company/integrations/sso/setup",
    "/company/integrations/sso/certificate/rotate",
    "/company/integrations/sso/idp/metadata",
    "/company/integrations/sso/idp",
    "/company/integrations/sso/options",
]


@pytest.fixture
def acme_configured(company, idp):
    return configure(company, idp)


def manual_data(provider, **overrides):
    data = {
        "idp_entity_id": provider.entity_id,
        "idp_sso_url": provider.sso_url,
        "certificate": provider.certificate_pem,
        "next_certificate": "",
    }
    return {**data, **overrides}


# --- Who may open the pages ------------------------------------------------------------


@pytest.mark.parametrize("url", GET_PAGES)
def test_an_admin_opens_the_pages(acme_admin_client, acme_configured, url):
    response = acme_admin_client.get(url)

    assert response.status_code == 200
    assert b"Company Settings" in response.content


@pytest.mark.parametrize("url", GET_PAGES + POST_ENDPOINTS)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url) if url in GET_PAGES else client.post(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", GET_PAGES + POST_ENDPOINTS)
def test_a_traveller_is_refused(traveller_client, acme_configured, url):
    before = SsoConfiguration.objects.values().get()
    data = {"require_sso": "on", "jit_provisioning": "on", "idp_entity_id": "x", "idp_sso_url": "https://x.example/"}

    response = traveller_client.get(url) if url in GET_PAGES else traveller_client.post(url, data)

    assert response.status_code == 403
    assert SsoConfiguration.objects.values().get() == before


@pytest.mark.parametrize("url", GET_PAGES)
def test_support_staff_without_a_company_are_refused(staff_client, url):
    assert staff_client.get(url).status_code == 403


def test_another_companys_admin_sees_only_their_own_company(other_admin_client, acme_configured, idp, client):
    SsoSignInEvent.objects.create(
        company=acme_configured.company, outcome="refused", reason="unsigned", name_id="x@acme"
    )

    page = other_admin_client.get("/company/integrations/sso").content.decode()
    activity = other_admin_client.get("/company/sign-in-activity/").content.decode()

    assert "/sso/saml/globex/acs/" in page
    assert "/sso/saml/acme/" not in page
    assert idp.entity_id not in page
    assert "x@acme" not in activity
    assert "No SSO sign-ins yet." in activity


def test_another_companys_admin_changes_nothing_of_acme(other_admin_client, acme_configured, idp):
    before = SsoConfiguration.objects.values().get(company=acme_configured.company)

    other_admin_client.post("/company/integrations/sso/options", {"require_sso": "on"})
    other_admin_client.post("/company/integrations/sso/certificate/rotate")

    assert SsoConfiguration.objects.values().get(company=acme_configured.company) == before
    assert not SsoConfiguration.objects.filter(company__slug="globex").exists()


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_post_endpoints_refuse_get(acme_admin_client, url):
    assert acme_admin_client.get(url).status_code == 405


@pytest.mark.parametrize("url", GET_PAGES)
def test_pages_refuse_post(acme_admin_client, url):
    assert acme_admin_client.post(url).status_code == 405


# --- The page --------------------------------------------------------------------------


def test_before_set_up_the_page_shows_the_values_and_a_set_up_button(acme_admin_client, company):
    html = acme_admin_client.get("/company/integrations/sso").content.decode()

    assert 'value="http://testserver/sso/saml/acme/metadata/"' in html
    assert 'value="http://testserver/sso/saml/acme/acs/"' in html
    assert 'value="http://testserver/sso/saml/acme/login/"' in html
    assert html.count('data-copy-target="#sso-') == 3
    assert "Set up single sign-on" in html
    assert not SsoConfiguration.objects.exists()


def test_set_up_creates_the_key_pair_once(acme_admin_client, company):
    response = acme_admin_client.post("/company/integrations/sso/setup", follow=True)

    configuration = SsoConfiguration.objects.get(company=company)
    assert "BEGIN PRIVATE KEY" in configuration.sp_private_key
    assert "Copy the three values below into Entra" in response.content.decode()
    assert "Download SP metadata" in response.content.decode()
    acme_admin_client.post("/company/integrations/sso/setup")
    assert SsoConfiguration.objects.get().sp_private_key == configuration.sp_private_key


def test_the_page_shows_the_identity_provider_its_certificates_and_test_sign_in(
    acme_admin_client, acme_configured, idp
):
    html = acme_admin_client.get("/company/integrations/sso").content.decode()

    certificate = IdpCertificate.objects.get()
    assert idp.entity_id in html
    assert certificate.not_valid_after.strftime("%-d %b %Y") in html
    assert 'href="/sso/saml/acme/login/?next=/company/integrations/sso"' in html
    assert "Test sign-in" in html


def test_rotating_the_certificate_replaces_it(acme_admin_client, acme_configured):
    before = acme_configured.sp_certificate

    response = acme_admin_client.post("/company/integrations/sso/certificate/rotate")

    assert response.status_code == 302
    assert SsoConfiguration.objects.get().sp_certificate != before


def test_forms_before_set_up_say_to_set_up_first(acme_admin_client, company):
    response = acme_admin_client.post("/company/integrations/sso/options", {"require_sso": "on"}, follow=True)

    assert "Set up single sign-on first." in response.content.decode()
    assert not SsoConfiguration.objects.exists()


# --- The identity provider -------------------------------------------------------------


def test_the_identity_provider_is_read_from_an_uploaded_metadata_file(
    acme_admin_client, company, idp, http_idp_allowed
):
    set_up_sso(company=company)
    upload = SimpleUploadedFile("federationmetadata.xml", idp.metadata_xml().encode(), "text/xml")

    response = acme_admin_client.post("/company/integrations/sso/idp/metadata", {"metadata_file": upload})

    assert response.status_code == 302
    configuration = SsoConfiguration.objects.get()
    assert (configuration.idp_entity_id, configuration.idp_sso_url) == (idp.entity_id, idp.sso_url)
    assert IdpCertificate.objects.get().pem.strip() == idp.certificate_pem.strip()


def test_the_identity_provider_is_read_from_a_metadata_url(acme_admin_client, company, idp, settings):
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True
    set_up_sso(company=company)

    response = acme_admin_client.post("/company/integrations/sso/idp/metadata", {"metadata_url": idp.entity_id})

    assert response.status_code == 302
    configuration = SsoConfiguration.objects.get()
    assert (configuration.idp_entity_id, configuration.idp_metadata_url) == (idp.entity_id, idp.entity_id)


def test_a_plain_http_metadata_url_is_refused(acme_admin_client, company, idp):
    set_up_sso(company=company)

    response = acme_admin_client.post("/company/integrations/sso/idp/metadata", {"metadata_url": idp.entity_id})

    assert response.status_code == 400
    assert "The URL must start with https://." in response.content.decode()
    assert SsoConfiguration.objects.get().idp_entity_id == ""


def test_a_metadata_url_on_a_private_address_is_refused(acme_admin_client, company):
    set_up_sso(company=company)

    response = acme_admin_client.post(
        "/company/integrations/sso/idp/metadata", {"metadata_url": "https://localhost/federationmetadata.xml"}
    )

    assert response.status_code == 400
    assert "resolves to a private or reserved address" in response.content.decode()
    assert SsoConfiguration.objects.get().idp_entity_id == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not xml at all", "not a well-formed XML document"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "not a well-formed XML document"),
        (b"<x/>", "not SAML 2.0 metadata"),
    ],
)
def test_bad_metadata_is_refused_clearly_and_nothing_is_written(
    acme_admin_client, acme_configured, idp, content, message
):
    upload = SimpleUploadedFile("metadata.xml", content, "text/xml")

    response = acme_admin_client.post("/company/integrations/sso/idp/metadata", {"metadata_file": upload})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert SsoConfiguration.objects.get().idp_entity_id == idp.entity_id
    assert IdpCertificate.objects.count() == 1


def test_metadata_needs_a_url_or_a_file(acme_admin_client, acme_configured):
    response = acme_admin_client.post("/company/integrations/sso/idp/metadata", {})

    assert response.status_code == 400
    assert "Give either the metadata URL or the metadata file." in response.content.decode()


def test_the_identity_provider_is_set_by_hand_with_two_certificates(
    acme_admin_client, company, idp, other_idp, http_idp_allowed
):
    set_up_sso(company=company)

    response = acme_admin_client.post(
        "/company/integrations/sso/idp", manual_data(idp, next_certificate=other_idp.certificate_pem)
    )

    assert response.status_code == 302
    configuration = SsoConfiguration.objects.get()
    assert (configuration.idp_entity_id, configuration.idp_sso_url) == (idp.entity_id, idp.sso_url)
    assert IdpCertificate.objects.count() == 2
    page = acme_admin_client.get("/company/integrations/sso").content.decode()
    assert page.count('<td data-label="Expires">') == 2


def test_saving_the_same_identity_provider_again_changes_nothing(
    acme_admin_client, acme_configured, idp, http_idp_allowed
):
    response = acme_admin_client.post("/company/integrations/sso/idp", manual_data(idp), follow=True)

    assert "Nothing changed." in response.content.decode()


def test_a_bare_base64_certificate_is_accepted(acme_admin_client, acme_configured, idp, http_idp_allowed):
    body = "".join(idp.certificate_pem.strip().splitlines()[1:-1])

    response = acme_admin_client.post("/company/integrations/sso/idp", manual_data(idp, certificate=body))

    assert response.status_code == 302
    assert IdpCertificate.objects.get().pem.strip() == idp.certificate_pem.strip()


def test_a_bad_certificate_is_refused_and_nothing_is_written(acme_admin_client, acme_configured, idp):
    response = acme_admin_client.post(
        "/company/integrations/sso/idp", manual_data(idp, idp_entity_id="https://changed.example/", certificate="nope")
    )

    assert response.status_code == 400
    assert "Certificate 1: That is not a certificate" in response.content.decode()
    assert SsoConfiguration.objects.get().idp_entity_id == idp.entity_id


def test_a_login_url_that_is_no_url_is_refused(acme_admin_client, acme_configured, idp):
    response = acme_admin_client.post("/company/integrations/sso/idp", manual_data(idp, idp_sso_url="not a url"))

    assert response.status_code == 400
    assert SsoConfiguration.objects.get().idp_sso_url == idp.sso_url


# --- Options ---------------------------------------------------------------------------


def test_the_options_are_saved(acme_admin_client, acme_configured, acme_admin):
    response = acme_admin_client.post(
        "/company/integrations/sso/options",
        {
            "require_sso": "on",
            "jit_provisioning": "on",
            "break_glass_admins": [str(acme_admin.pk)],
            "email_domains": "acme.example\n@Acme-Corp.example",
        },
    )

    assert response.status_code == 302
    configuration = SsoConfiguration.objects.get()
    assert (configuration.require_sso, configuration.jit_provisioning) == (True, True)
    assert list(configuration.break_glass_admins.all()) == [acme_admin]
    assert sorted(SsoEmailDomain.objects.values_list("domain", flat=True)) == ["acme-corp.example", "acme.example"]


def test_a_traveller_cannot_be_made_break_glass(acme_admin_client, acme_configured, traveller):
    response = acme_admin_client.post(
        "/company/integrations/sso/options", {"require_sso": "on", "break_glass_admins": [str(traveller.pk)]}
    )

    assert response.status_code == 400
    assert SsoConfiguration.objects.get().require_sso is False


def test_a_domain_of_another_company_is_refused(acme_admin_client, acme_configured, other_company, idp):
    from travelportal.accounts.saml.services import update_sso_options

    globex = configure(other_company, idp)
    update_sso_options(
        configuration=globex, require_sso=False, jit_provisioning=False, email_domains=["globex.example"]
    )

    response = acme_admin_client.post("/company/integrations/sso/options", {"email_domains": "GLOBEX.example"})

    assert response.status_code == 400
    assert "already used by another company" in response.content.decode()
    assert not SsoEmailDomain.objects.filter(configuration=acme_configured).exists()


def test_a_domain_that_is_no_domain_is_refused(acme_admin_client, acme_configured):
    response = acme_admin_client.post("/company/integrations/sso/options", {"email_domains": "not a domain!"})

    assert response.status_code == 400
    assert "is not an email domain" in response.content.decode()


# --- Sign-in activity ------------------------------------------------------------------


def test_sign_ins_and_refusals_show_in_the_companys_activity(
    acme_admin_client, client, acme_configured, idp, traveller
):
    sign_in_through(client, idp, traveller.username)
    client.logout()
    sign_in_through(client, idp, traveller.username, sign_assertion=False)

    html = acme_admin_client.get("/company/sign-in-activity/").content.decode()
    refused = acme_admin_client.get("/company/sign-in-activity/?outcome=refused").content.decode()

    assert "Signed in" in html and "Refused" in html
    assert "The assertion in the response was not signed." in html
    assert "Tom Traveller" in html
    assert refused.count('class="row-error"') == 1
    assert "2 in total" in html
    assert (
        "The assertion in the response was not signed."
        in acme_admin_client.get("/company/integrations/sso").content.decode()
    )


def test_the_activity_list_takes_the_same_queries_for_many_rows(acme_admin_client, acme_configured, traveller):
    def queries_for(count):
        SsoSignInEvent.objects.bulk_create(
            SsoSignInEvent(company=acme_configured.company, user=traveller, outcome="signed_in", name_id=f"n{i}")
            for i in range(count)
        )
        with CaptureQueriesContext(connection) as captured:
            assert acme_admin_client.get("/company/sign-in-activity/").status_code == 200
        return captured

    few = queries_for(2)
    many = queries_for(40)
    assert len(many) == len(few), "\n".join(query["sql"] for query in many.captured_queries)
