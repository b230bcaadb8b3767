"""Support staff see every company's SSO and its sign-ins in Django admin, read-only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.saml.conftest import configure
from travelportal.accounts.models import SsoSignInEvent

pytestmark = pytest.mark.django_db


def test_staff_see_sign_ins_and_refusals_with_who_and_why(staff_client, company, traveller):
    SsoSignInEvent.objects.create(company=company, user=traveller, outcome="signed_in", name_id=traveller.username)
    SsoSignInEvent.objects.create(company=company, outcome="refused", reason="replayed", name_id="x@acme.example")

    html = staff_client.get("/admin/accounts/ssosigninevent/").content.decode()

    assert "x@acme.example" in html
    assert "This assertion was already used to sign in." in html
    assert "Tom Traveller" in html


def test_staff_see_a_companys_sso_without_its_private_key(staff_client, company, idp):
    configuration = configure(company, idp)

    listing = staff_client.get("/admin/accounts/ssoconfiguration/").content.decode()
    detail = staff_client.get(f"/admin/accounts/ssoconfiguration/{configuration.pk}/change/").content.decode()

    assert idp.entity_id in listing
    assert "PRIVATE KEY" not in detail
    assert "CN=Acme Entra" in detail


def test_the_sign_in_changelist_takes_the_same_queries_for_many_rows(staff_client, company, traveller):
    def queries_for(count):
        SsoSignInEvent.objects.bulk_create(
            SsoSignInEvent(company=company, user=traveller, outcome="signed_in") for _ in range(count)
        )
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/admin/accounts/ssosigninevent/").status_code == 200
        return captured

    few = queries_for(2)
    many = queries_for(40)
    assert len(many) == len(few), "\n".join(query["sql"] for query in many.captured_queries)


def test_company_admins_are_not_let_into_django_admin(acme_admin_client):
    assert acme_admin_client.get("/admin/accounts/ssosigninevent/").status_code == 302


def test_nobody_adds_or_edits_sign_ins_in_admin(staff_client, company):
    event = SsoSignInEvent.objects.create(company=company, outcome="refused", reason="unsigned")

    assert staff_client.get("/admin/accounts/ssosigninevent/add/").status_code == 403
    staff_client.post(f"/admin/accounts/ssosigninevent/{event.pk}/change/", {"reason": "expired"})
    event.refresh_from_db()
    assert event.reason == "unsigned"
