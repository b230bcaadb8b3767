"""The provisioning log never keeps a password, in any form SCIM sends one (issue 21, part 4):
a POST or PUT attribute, a PATCH whose path names it, a PATCH value object holding it, in
any case (RFC 7643 §2.1) and qualified by its schema URN."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.scim.conftest import CORE, ScimClient
from travelportal.provisioning.services import REMOVED, strip_secrets

pytestmark = pytest.mark.django_db

PASSWORD = "Pl41n-t3xt-Passw0rd!"


@pytest.fixture
def scim(client, scim_token):
    return ScimClient(client, scim_token)


@pytest.fixture
def ann(scim):
    response = scim.post("Users", {"schemas": [CORE], "userName": "ann@acme.example", "active": True})
    assert response.status_code == 201, response.content
    return response.json()


def stored_bodies() -> list[str]:
    """The log's request bodies as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT request_body FROM provisioning_provisioninglogentry ORDER BY id")
        return [str(row[0]) for row in cursor.fetchall()]


def assert_logged_without_the_password() -> None:
    bodies = stored_bodies()
    assert bodies, "nothing was logged"
    assert all(PASSWORD not in body for body in bodies), bodies
    assert REMOVED in bodies[-1]


@pytest.mark.parametrize("name", ["password", "Password", "PASSWORD", f"{CORE}:password"])
def test_a_created_person_s_password_is_not_logged_in_any_case(scim, name):
    response = scim.post("Users", {"schemas": [CORE], "userName": "bob@acme.example", name: PASSWORD})

    assert response.status_code == 201, response.content
    assert_logged_without_the_password()


def test_a_replaced_person_s_password_is_not_logged(scim, ann):
    response = scim.put(f"Users/{ann['id']}", {"schemas": [CORE], "userName": "ann@acme.example", "Password": PASSWORD})

    assert response.status_code == 200, response.content
    assert_logged_without_the_password()


@pytest.mark.parametrize("path", ["password", "PassWord", f"{CORE}:password"])
def test_a_patch_whose_path_names_the_password_is_not_logged(scim, ann, path):
    scim.patch(f"Users/{ann['id']}", [{"op": "replace", "path": path, "value": PASSWORD}])

    assert_logged_without_the_password()


def test_a_patch_with_upper_case_members_naming_the_password_is_not_logged(scim, ann):
    scim.patch(f"Users/{ann['id']}", [{"Op": "Replace", "Path": "password", "Value": PASSWORD}])

    assert_logged_without_the_password()


@pytest.mark.parametrize("name", ["password", "PASSWORD", f"{CORE}:password"])
def test_a_patch_without_a_path_whose_value_holds_the_password_is_not_logged(scim, ann, name):
    scim.patch(f"Users/{ann['id']}", [{"op": "replace", "value": {"title": "Engineer", name: PASSWORD}}])

    assert_logged_without_the_password()


def test_what_is_not_secret_stays_in_the_log_entry():
    body = {
        "Operations": [
            {"op": "replace", "path": "password", "value": {"nested": PASSWORD}},
            {"op": "replace", "path": "title", "value": "Engineer"},
            {"op": "replace", "value": {"displayName": "Ann", "Password": PASSWORD}},
        ]
    }

    assert strip_secrets(body) == {
        "Operations": [
            {"op": "replace", "path": "password", "value": REMOVED},
            {"op": "replace", "path": "title", "value": "Engineer"},
            {"op": "replace", "value": {"displayName": "Ann", "Password": REMOVED}},
        ]
    }
