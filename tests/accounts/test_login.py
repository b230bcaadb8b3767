from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD, next=None, **request_options):
    data = {"username": username, "password": password}
    if next is not None:
        data["next"] = next
    return client.post("/accounts/login/", data, **request_options)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_the_sign_in_page_asks_for_email_and_password(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert ">Email</label>" in html
    assert ">Password</label>" in html
    assert '<button type="submit">Sign in</button>' in html
    assert "csrfmiddlewaretoken" in html
    assert 'href="/accounts/password-reset/"' in html


def test_a_person_signs_in_with_their_username(client, acme_admin):
    from travelportal.accounts.models import UserSession

    response = sign_in(client, acme_admin.username)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(acme_admin.pk)
    assert UserSession.objects.get().session_key == client.session.session_key


def test_the_username_is_compared_without_case(client, acme_admin):
    sign_in(client, "ALICE@Acme.Example")

    assert signed_in_user_id(client) == str(acme_admin.pk)


def test_a_wrong_password_is_refused_with_a_message(client, acme_admin):
    response = sign_in(client, acme_admin.username, "wrong password")

    assert response.status_code == 200
    assert "don&#x27;t match an account" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_an_empty_form_is_refused(client):
    response = client.post("/accounts/login/", {})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"username", "password"}


def test_a_deactivated_person_cannot_sign_in(client, traveller):
    traveller.is_active = False
    traveller.save(update_fields=["is_active"])

    response = sign_in(client, traveller.username)

    assert response.status_code == 200
    assert "don&#x27;t match an account" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_a_deleted_person_cannot_sign_in(client, traveller):
    traveller.deleted_at = timezone.now()
    traveller.save(update_fields=["deleted_at"])

    sign_in(client, traveller.username)

    assert signed_in_user_id(client) is None


def test_sign_in_follows_a_next_on_this_site(client, traveller):
    response = sign_in(client, traveller.username, next="/oauth2/authorize/?client_id=x&state=y")

    assert response["Location"] == "/oauth2/authorize/?client_id=x&state=y"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://testserver.evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_off_site(client, traveller, target):
    response = sign_in(client, traveller.username, next=target)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_sign_in_form_needs_a_csrf_token(traveller):
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, traveller.username)

    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_the_sign_in_page_refuses_other_methods(client):
    assert client.put("/accounts/login/").status_code == 405
    assert client.delete("/accounts/login/").status_code == 405


def test_sign_out_ends_the_session(client, traveller):
    from travelportal.accounts.models import UserSession

    sign_in(client, traveller.username)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user_id(client) is None
    assert not UserSession.objects.exists()


def test_sign_out_never_redirects_off_site(client, traveller):
    sign_in(client, traveller.username)

    response = client.post("/accounts/logout/", {"next": "https://evil.example/"})

    assert response["Location"] == "/accounts/login/"
    assert signed_in_user_id(client) is None


def test_sign_out_needs_a_post(client, traveller):
    sign_in(client, traveller.username)

    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in_user_id(client) == str(traveller.pk)


def test_cookies_are_secure_and_hsts_is_on_when_not_in_debug(client, traveller, settings):
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SECURE_HSTS_SECONDS >= 31536000

    response = sign_in(client, traveller.username, secure=True)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True

    https = client.get("/accounts/login/", secure=True)
    assert https["Strict-Transport-Security"].startswith("max-age=31536000")
