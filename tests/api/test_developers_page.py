"""Company Settings > Developers: create an API key (shown once), list and revoke keys."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from travelportal.tokens.models import Credential, hash_token
from travelportal.tokens.services import issue_credential

pytestmark = pytest.mark.django_db

PAGE = "/company/developers/"
CREATE = "/company/developers/keys"


def _revoke_url(key: Credential) -> str:
    return f"/company/developers/keys/{key.pk}/revoke"


def test_an_admin_sees_the_page_with_the_api_base_url_and_docs_link(acme_admin_client):
    html = acme_admin_client.get(PAGE).content.decode()
    assert "Developers" in html and 'aria-current="page">Developers<' in html
    assert "http://testserver/api/" in html
    assert 'href="/api/docs/"' in html


def test_an_admin_creates_a_key_that_is_shown_once_and_stored_as_a_hash(acme_admin_client, company, acme_admin):
    response = acme_admin_client.post(CREATE, {"name": "ERP sync", "scopes": ["cost_centers:read", "trips:read"]})
    assert response.status_code == 201
    key = Credential.objects.get()
    raw = response.context["new_key"][1]
    assert raw.startswith("tpk_") and raw in response.content.decode()
    assert key.token_hash == hash_token(raw) and raw not in key.token_hash
    assert key.company == company and key.name == "ERP sync"
    assert key.scopes == {"cost_centers:read", "trips:read"}
    assert key.created_by is None
    assert raw not in acme_admin_client.get(PAGE).content.decode()


def test_a_key_with_an_expiry_stops_at_the_end_of_that_day(acme_admin_client):
    day = timezone.now().date() + dt.timedelta(days=3)
    acme_admin_client.post(CREATE, {"name": "Temp", "scopes": ["users:read"], "expires_on": day.isoformat()})
    assert Credential.objects.get().expires_at.date() == day + dt.timedelta(days=1)


def test_a_key_needs_a_name_and_a_scope(acme_admin_client):
    response = acme_admin_client.post(CREATE, {"name": "", "scopes": []})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the key a name." in html and "Choose at least one scope." in html
    assert not Credential.objects.exists()


def test_an_unknown_scope_is_refused(acme_admin_client):
    assert acme_admin_client.post(CREATE, {"name": "X", "scopes": ["scim:write"]}).status_code == 400
    assert not Credential.objects.exists()


def test_an_admin_revokes_a_key(acme_admin_client, company):
    key, _ = issue_credential(company=company, kind=Credential.Kind.API_KEY, name="Old")
    response = acme_admin_client.post(_revoke_url(key), follow=True)
    assert "is revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Old" not in acme_admin_client.get(PAGE).content.decode().split("API keys</h2>")[1]


def test_another_companys_key_is_a_404_and_stays_usable(acme_admin_client, other_company):
    theirs, _ = issue_credential(company=other_company, kind=Credential.Kind.API_KEY, name="Theirs")
    assert acme_admin_client.post(_revoke_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("url", [PAGE, CREATE, "revoke"])
def test_a_traveller_is_refused(traveller_client, company, url):
    key, _ = issue_credential(company=company, kind=Credential.Kind.API_KEY, name="Kept")
    url = _revoke_url(key) if url == "revoke" else url
    response = (
        traveller_client.get(url)
        if url == PAGE
        else traveller_client.post(url, {"name": "X", "scopes": ["users:read"]})
    )
    assert response.status_code == 403
    assert list(Credential.objects.values_list("name", "revoked_at")) == [("Kept", None)]


@pytest.mark.parametrize("url", [PAGE, CREATE, "/company/developers/keys/1/revoke"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url) if url == PAGE else client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", [CREATE, "/company/developers/keys/1/revoke"])
def test_post_endpoints_refuse_get(acme_admin_client, url):
    assert acme_admin_client.get(url).status_code == 405


def test_the_page_refuses_post(acme_admin_client):
    assert acme_admin_client.post(PAGE).status_code == 405


def test_the_key_list_runs_the_same_queries_for_1_key_and_for_20(acme_admin_client, company):
    issue_credential(company=company, kind=Credential.Kind.API_KEY, name="k0")
    with CaptureQueriesContext(connection) as one:
        acme_admin_client.get(PAGE)
    for n in range(1, 20):
        issue_credential(company=company, kind=Credential.Kind.API_KEY, name=f"k{n}")
    with CaptureQueriesContext(connection) as many:
        acme_admin_client.get(PAGE)
    sql = "\n".join(["-- 1 key", *(q["sql"] for q in one), "-- 20 keys", *(q["sql"] for q in many)])
    assert len(one) == len(many), sql
