"""Require SSO at the password sign-in page, and the sign-in page's SSO path."""

from __future__ import annotations

import pytest

from tests.accounts.saml.conftest import configure, signed_in_user_id
from tests.conftest import PASSWORD
from travelportal.accounts.models import SsoConfiguration, UserSession
from travelportal.accounts.saml.services import update_sso_options

pytestmark = pytest.mark.django_db

SSO_REQUIRED = "Your company signs in with single sign-on: use “Sign in with SSO”."


def password_sign_in(client, username):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def test_require_sso_refuses_password_sign_in_with_a_clear_message(client, company, idp, traveller):
    configure(company, idp, require=True)

    response = password_sign_in(client, traveller.username)

    assert response.status_code == 200
    assert SSO_REQUIRED in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not UserSession.objects.exists()


def test_require_sso_refuses_the_companys_admins_too(client, company, idp, acme_admin):
    configure(company, idp, require=True)

    response = password_sign_in(client, acme_admin.username)

    assert SSO_REQUIRED in response.content.decode()
    assert signed_in_user_id(client) is None


def test_a_break_glass_admin_still_signs_in_with_a_password(client, company, idp, acme_admin):
    configuration = configure(company, idp, require=True)
    update_sso_options(
        configuration=configuration, require_sso=True, jit_provisioning=False, break_glass_admins=[acme_admin]
    )

    response = password_sign_in(client, acme_admin.username)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(acme_admin.pk)


def test_a_break_glass_admin_who_is_no_longer_admin_is_refused(client, company, idp, acme_admin):
    configuration = configure(company, idp, require=True)
    update_sso_options(
        configuration=configuration, require_sso=True, jit_provisioning=False, break_glass_admins=[acme_admin]
    )
    acme_admin.role = "traveller"
    acme_admin.save(update_fields=["role"])

    response = password_sign_in(client, acme_admin.username)

    assert SSO_REQUIRED in response.content.decode()
    assert signed_in_user_id(client) is None


def test_a_wrong_password_still_gets_the_usual_message(client, company, idp, traveller):
    configure(company, idp, require=True)

    response = client.post("/accounts/login/", {"username": traveller.username, "password": "wrong"})

    assert "don&#x27;t match an account" in response.content.decode()
    assert SSO_REQUIRED not in response.content.decode()


def test_without_require_sso_password_sign_in_works(client, company, idp, traveller):
    configure(company, idp, require=False)

    assert password_sign_in(client, traveller.username).status_code == 302


def test_another_companys_require_sso_changes_nothing_here(client, other_company, idp, traveller):
    configure(other_company, idp, require=True)

    assert password_sign_in(client, traveller.username).status_code == 302


def test_only_admins_of_the_company_can_be_break_glass(company, idp, traveller, other_admin):
    from django.core.exceptions import ValidationError

    configuration = configure(company, idp)
    for person in (traveller, other_admin):
        with pytest.raises(ValidationError):
            update_sso_options(
                configuration=configuration, require_sso=True, jit_provisioning=False, break_glass_admins=[person]
            )
    assert not configuration.break_glass_admins.exists()
    assert SsoConfiguration.objects.get().require_sso is False


def test_require_sso_needs_an_identity_provider(company):
    from django.core.exceptions import ValidationError

    from travelportal.accounts.saml.services import set_up_sso

    configuration, _ = set_up_sso(company=company)
    with pytest.raises(ValidationError, match="identity provider"):
        update_sso_options(configuration=configuration, require_sso=True, jit_provisioning=False)


# --- The sign-in page's SSO path -------------------------------------------------------


def test_the_sign_in_page_offers_sso(client, db):
    response = client.get("/accounts/login/?next=/company/")

    assert 'href="/accounts/sso/?next=/company/"' in response.content.decode()
    assert "Sign in with SSO" in response.content.decode()


def test_the_email_domain_finds_the_company_and_goes_to_its_identity_provider(client, company, idp):
    configuration = configure(company, idp)
    update_sso_options(
        configuration=configuration, require_sso=False, jit_provisioning=False, email_domains=["acme.example"]
    )

    response = client.get("/accounts/sso/", {"email": "Tom@ACME.example", "next": "/company/"})

    assert response.status_code == 302
    assert response["Location"] == "/sso/saml/acme/login/?next=/company/"
    assert client.get(response["Location"])["Location"].startswith(idp.sso_url + "?SAMLRequest=")


def test_an_unknown_domain_asks_for_the_company(client, company, idp):
    configure(company, idp)

    response = client.get("/accounts/sso/", {"email": "tom@elsewhere.example"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter your company&#x27;s short name" in html
    assert 'name="company"' in html


def test_the_company_named_goes_to_its_identity_provider(client, company, idp):
    configure(company, idp)

    response = client.get("/accounts/sso/", {"email": "tom@elsewhere.example", "company": "ACME"})

    assert response.status_code == 302
    assert response["Location"] == "/sso/saml/acme/login/"


@pytest.mark.parametrize("slug", ["nobody", "globex"])
def test_a_company_without_sso_is_refused_clearly(client, company, other_company, idp, slug):
    configure(company, idp)

    response = client.get("/accounts/sso/", {"company": slug})

    assert response.status_code == 400
    assert "No company with single sign-on is known by that name." in response.content.decode()


def test_an_empty_sso_form_asks_for_email_or_company(client, db):
    response = client.get("/accounts/sso/", {"email": ""})

    assert response.status_code == 400
    assert "Enter your work email or your company" in response.content.decode()


def test_the_sso_page_refuses_post(client, db):
    assert client.post("/accounts/sso/").status_code == 405
