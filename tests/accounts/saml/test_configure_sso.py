"""python manage.py configure_sso SLUG --idp-metadata FILE_OR_URL [--require-sso] [--jit]."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from travelportal.accounts.models import IdpCertificate, SsoConfiguration, SsoEmailDomain

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("configure_sso", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def metadata_file(idp, tmp_path, http_idp_allowed):
    path = tmp_path / "federationmetadata.xml"
    path.write_text(idp.metadata_xml())
    return str(path)


def test_it_sets_up_sso_from_a_metadata_file(company, idp, metadata_file):
    output = run("acme", "--idp-metadata", metadata_file, "--require-sso", "--jit")

    assert f"Set up SSO for acme with {idp.entity_id}." in output
    assert "Reply URL (ACS):        /sso/saml/acme/acs/" in output
    configuration = SsoConfiguration.objects.get(company=company)
    assert (configuration.idp_entity_id, configuration.idp_sso_url) == (idp.entity_id, idp.sso_url)
    assert (configuration.require_sso, configuration.jit_provisioning) == (True, True)
    assert IdpCertificate.objects.count() == 1


def test_running_it_again_changes_nothing(company, idp, metadata_file):
    run("acme", "--idp-metadata", metadata_file, "--jit", "--domain", "acme.example")
    before = SsoConfiguration.objects.values().get()

    output = run("acme", "--idp-metadata", metadata_file, "--jit", "--domain", "acme.example")

    assert "SSO of acme is already configured so; nothing changed." in output
    assert SsoConfiguration.objects.values().get() == before
    assert list(SsoEmailDomain.objects.values_list("domain", flat=True)) == ["acme.example"]


def test_running_it_with_other_flags_says_what_changed(company, idp, metadata_file):
    run("acme", "--idp-metadata", metadata_file)

    output = run("acme", "--idp-metadata", metadata_file, "--require-sso")

    assert "Updated SSO of acme (require_sso)." in output


def test_it_reads_a_metadata_url(company, idp, settings):
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True

    run("acme", "--idp-metadata", idp.entity_id)

    assert SsoConfiguration.objects.get().idp_metadata_url == idp.entity_id


def test_an_unknown_company_is_an_error(db, metadata_file):
    with pytest.raises(CommandError, match="No company has the slug 'nobody'"):
        run("nobody", "--idp-metadata", metadata_file)


def test_a_missing_file_is_an_error(company):
    with pytest.raises(CommandError, match="no such file"):
        run("acme", "--idp-metadata", "/nonexistent/metadata.xml")
    assert not SsoConfiguration.objects.exists()


def test_bad_metadata_is_an_error_and_writes_nothing(company, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text("<nope/>")

    with pytest.raises(CommandError, match=r"not SAML 2\.0 metadata"):
        run("acme", "--idp-metadata", str(path))
    assert not SsoConfiguration.objects.exists()


def test_a_plain_http_url_is_refused_outside_development(company, idp):
    with pytest.raises(CommandError, match="https"):
        run("acme", "--idp-metadata", idp.entity_id)


def test_a_private_url_is_refused_outside_development(company):
    with pytest.raises(CommandError, match="private or reserved address"):
        run("acme", "--idp-metadata", "https://localhost/federationmetadata.xml")
    assert not SsoConfiguration.objects.filter(idp_entity_id__gt="").exists()
