"""Support staff's admin pages for API credentials."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tokens.conftest import exchange, get_code

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/tokens/accesstoken/",
    "/admin/tokens/refreshtoken/",
    "/admin/tokens/credential/",
]


@pytest.fixture
def many_tokens(client, entra, acme_admin, company):
    """Five OAuth connections and five secret tokens of Acme."""
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    client.force_login(acme_admin)
    raws = [exchange(client, entra, get_code(client, entra)).json() for _ in range(5)]
    for i in range(5):
        _, raw = issue_credential(
            company=company, kind=Credential.Kind.SCIM_TOKEN, name=f"Okta {i}", created_by=acme_admin
        )
        raws.append({"secret": raw})
    client.logout()
    return raws


@pytest.mark.parametrize("url", CHANGELISTS)
def test_support_staff_see_tokens_with_their_company_but_never_their_value(client, staff_user, many_tokens, url):
    client.force_login(staff_user)

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme" in html
    for raw in many_tokens:
        for value in raw.values():
            if isinstance(value, str) and len(value) > 20:
                assert value not in html


@pytest.mark.parametrize("url", CHANGELISTS)
def test_the_changelists_take_a_fixed_number_of_queries(client, staff_user, many_tokens, url):
    client.force_login(staff_user)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200

    assert len(queries) <= 8, "\n".join(q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("url", CHANGELISTS)
def test_company_admins_have_no_access_to_the_admin(client, acme_admin, url):
    client.force_login(acme_admin)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_support_staff_can_revoke_a_secret_token(client, staff_user, company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    token, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")
    client.force_login(staff_user)

    response = client.post(
        "/admin/tokens/credential/", {"action": "revoke_credentials", "_selected_action": [token.pk]}
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_secret_tokens_cannot_be_added_in_the_admin(client, staff_user):
    client.force_login(staff_user)

    assert client.get("/admin/tokens/credential/add/").status_code == 403
