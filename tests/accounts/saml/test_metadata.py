"""The SP metadata document: valid against the SAML 2.0 metadata schema (the XSDs pysaml2
ships), and saying what Entra needs."""

from __future__ import annotations

from importlib.resources import files

import pytest
import xmlschema
from defusedxml import ElementTree

from tests.accounts.saml.conftest import configure
from travelportal.accounts.saml.services import rotate_sp_certificate, set_up_sso

pytestmark = pytest.mark.django_db
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@pytest.fixture(scope="module")
def metadata_schema():
    import saml2.data.schemas

    folder = files(saml2.data.schemas)
    locations = {
        "http://www.w3.org/XML/1998/namespace": str(folder / "xml.xsd"),
        "http://www.w3.org/2000/09/xmldsig#": str(folder / "xmldsig-core-schema.xsd"),
        "http://www.w3.org/2001/04/xmlenc#": str(folder / "xenc-schema.xsd"),
        "urn:oasis:names:tc:SAML:2.0:assertion": str(folder / "saml-schema-assertion-2.0.xsd"),
    }
    return xmlschema.XMLSchema(str(folder / "saml-schema-metadata-2.0.xsd"), locations=locations)


def test_the_metadata_is_valid_against_the_saml_metadata_schema(client, company, metadata_schema):
    set_up_sso(company=company)

    response = client.get("/sso/saml/acme/metadata/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    metadata_schema.validate(response.content.decode())


def test_the_metadata_names_the_entity_id_reply_url_and_signing_certificate(client, company):
    configuration, _ = set_up_sso(company=company)

    root = ElementTree.fromstring(client.get("/sso/saml/acme/metadata/").content)

    assert root.get("entityID") == "http://testserver/sso/saml/acme/metadata/"
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{MD}AssertionConsumerService")
    assert acs.get("Location") == "http://testserver/sso/saml/acme/acs/"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    certificate = sp.find(f"{MD}KeyDescriptor").find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text
    assert "".join(certificate.split()) in "".join(configuration.sp_certificate.split())
    assert b"PRIVATE KEY" not in client.get("/sso/saml/acme/metadata/").content


def test_the_metadata_uses_the_public_base_url(client, company, settings):
    settings.PUBLIC_BASE_URL = "https://travel.example.com/"
    set_up_sso(company=company)

    root = ElementTree.fromstring(client.get("/sso/saml/acme/metadata/").content)

    assert root.get("entityID") == "https://travel.example.com/sso/saml/acme/metadata/"


def test_the_metadata_downloads_as_a_file(client, company):
    set_up_sso(company=company)

    response = client.get("/sso/saml/acme/metadata/?download")

    assert response["Content-Disposition"] == 'attachment; filename="acme-sp-metadata.xml"'


def test_a_rotated_certificate_is_in_the_metadata_and_signs_requests(client, company, idp):
    configuration = configure(company, idp)
    before = client.get("/sso/saml/acme/metadata/").content

    rotate_sp_certificate(configuration=configuration)

    after = client.get("/sso/saml/acme/metadata/").content
    assert before != after
    configuration.refresh_from_db()
    assert "".join(configuration.sp_certificate.split()[2:-2]) in "".join(after.decode().split())


def test_each_company_has_its_own_key_pair(company, other_company):
    acme, _ = set_up_sso(company=company)
    globex, _ = set_up_sso(company=other_company)

    assert acme.sp_certificate != globex.sp_certificate
    assert acme.sp_private_key != globex.sp_private_key
    # Setting up again keeps the key.
    assert set_up_sso(company=company) == (acme, False)


def test_the_metadata_refuses_post(client, company):
    set_up_sso(company=company)

    assert client.post("/sso/saml/acme/metadata/").status_code == 405
