"""The audit trail of support staff: admin edits and command changes, recorded with who,
when and what; readable in admin history and by the company's own admins only."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_delete, post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from travelportal.audit.context import AuditSource, audited
from travelportal.audit.models import AuditEntry
from travelportal.audit.registry import AUDITED, HIDDEN
from travelportal.companies.models import Company, CostCentre, TravelPolicy, User

AUDIT_URL = "/company/audit/"


def company_form(company: Company, **changes) -> dict:
    data = {
        "name": company.name,
        "slug": company.slug,
        "scim_enabled": "on" if company.scim_enabled else "",
        "approval_chain_depth": str(company.approval_chain_depth),
        "auto_process_trips": company.auto_process_trips,
        "rate_limit_per_second": "",
        "rate_limit_burst": "",
    }
    return {key: value for key, value in {**data, **changes}.items() if value != ""}


@pytest.fixture
def admin_edit(staff_client, staff_user, company):
    before = timezone.now()
    response = staff_client.post(
        f"/admin/companies/company/{company.pk}/change/", company_form(company, name="Acme Corporation")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return before


def test_an_admin_edit_is_recorded_with_who_when_and_what(admin_edit, staff_user, company):
    entry = AuditEntry.objects.get()

    assert entry.actor == staff_user
    assert entry.actor_email == "support@travelportal.example"
    assert entry.source == AuditEntry.Source.ADMIN
    assert entry.company == company
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.changes_dict == {"name": ["Acme", "Acme Corporation"]}
    assert admin_edit <= entry.timestamp <= timezone.now()
    assert entry.remote_addr == "127.0.0.1"


def test_the_admin_history_page_shows_it(admin_edit, staff_client, company):
    response = staff_client.get(f"/admin/companies/company/{company.pk}/history/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Audit trail" in page
    assert "support@travelportal.example (Django admin)" in page
    assert "Acme → Acme Corporation" in page


def test_the_company_admin_reads_it_in_company_settings(admin_edit, acme_admin_client):
    response = acme_admin_client.get(AUDIT_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "support@travelportal.example (Django admin)" in page
    assert "Acme → Acme Corporation" in page


def test_another_company_admin_never_sees_it(admin_edit, other_admin_client, other_company):
    response = other_admin_client.get(AUDIT_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme Corporation" not in page
    assert "No changes by support staff" in page


def test_a_traveller_is_refused(admin_edit, traveller_client):
    assert traveller_client.get(AUDIT_URL).status_code == 403


def test_support_staff_without_a_company_are_refused(admin_edit, staff_client):
    assert staff_client.get(AUDIT_URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(AUDIT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_page_takes_only_get(acme_admin_client):
    assert acme_admin_client.post(AUDIT_URL).status_code == 405
    assert not AuditEntry.objects.exists()


def test_a_deleted_object_stays_in_its_company_trail(staff_client, acme_admin_client, other_admin_client, company):
    policy = TravelPolicy.objects.create(company=company, name="Gold")

    response = staff_client.post(f"/admin/companies/travelpolicy/{policy.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE)
    assert (entry.company, entry.object_repr) == (company, "Gold")
    assert "Gold" in acme_admin_client.get(AUDIT_URL).content.decode()
    assert "Gold" not in other_admin_client.get(AUDIT_URL).content.decode()


def test_a_password_set_in_admin_is_recorded_without_its_value(staff_client, traveller):
    response = staff_client.post(
        f"/admin/companies/user/{traveller.pk}/password/",
        {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42", "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(object_pk=str(traveller.pk))
    assert entry.changes_dict == {"password": [HIDDEN, HIDDEN]}
    assert traveller.password not in str(entry.changes)


def test_a_command_change_is_audited(company, tmp_path):
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text('{"cost_centres": [{"name": "Research"}]}')

    call_command("import_catalogue", "acme", str(catalogue), stdout=StringIO())

    entry = AuditEntry.objects.get()
    assert entry.source == AuditEntry.Source.COMMAND
    assert entry.command == "import_catalogue"
    assert entry.actor is None
    assert entry.company == company
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.object_repr == "Research"
    assert entry.origin == "manage.py import_catalogue"


def test_a_command_without_changes_records_nothing(company, tmp_path):
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text('{"cost_centres": [{"name": "Research"}]}')
    call_command("import_catalogue", "acme", str(catalogue), stdout=StringIO())

    call_command("import_catalogue", "acme", str(catalogue), stdout=StringIO())

    assert AuditEntry.objects.count() == 1


def test_changes_outside_admin_and_commands_are_not_audited_and_cost_no_query(traveller):
    traveller.given_name = "Changed"

    with CaptureQueriesContext(connection) as queries:
        traveller.save(update_fields=["given_name"])

    assert len(queries) == 1, "\n".join(q["sql"] for q in queries)
    assert not AuditEntry.objects.exists()


def test_a_scim_write_is_not_audited(client, scim_token):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "new@acme.example"}

    response = client.post(
        "/scim/v2/Users",
        data=body,
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )

    assert response.status_code == 201
    assert User.objects.filter(username="new@acme.example").exists()
    assert not AuditEntry.objects.exists()


def test_the_company_page_lists_entries_in_a_fixed_number_of_queries(acme_admin_client, acme_admin, company):
    def add_entries(count: int) -> None:
        with audited(AuditSource(kind="command", name="tests")):
            for number in range(count):
                CostCentre.objects.create(company=company, name=f"Centre {AuditEntry.objects.count()}-{number}")

    add_entries(2)
    with CaptureQueriesContext(connection) as few:
        assert acme_admin_client.get(AUDIT_URL).status_code == 200
    add_entries(20)
    with CaptureQueriesContext(connection) as many:
        response = acme_admin_client.get(AUDIT_URL)

    assert response.status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"] for q in many)


def test_the_newest_entries_come_first(acme_admin_client, company):
    with audited(AuditSource(kind="command", name="tests")):
        CostCentre.objects.create(company=company, name="Older")
        CostCentre.objects.create(company=company, name="Newer")
    AuditEntry.objects.filter(object_repr="Older").update(timestamp=timezone.now() - timedelta(hours=1))

    page = acme_admin_client.get(AUDIT_URL).content.decode()

    assert page.index("Newer") < page.index("Older")


def _scim(client, token: str, method: str, path: str, body: dict):
    return getattr(client, method)(
        f"/scim/v2/{path}",
        data=json.dumps(body),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _scim_queries(client, token: str, user_name: str) -> tuple[int, int, list[str]]:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name}
    with CaptureQueriesContext(connection) as post:
        created = _scim(client, token, "post", "Users", body)
    assert created.status_code == 201
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}],
    }
    with CaptureQueriesContext(connection) as patched:
        assert _scim(client, token, "patch", f"Users/{created.json()['id']}", patch).status_code == 200
    return len(post), len(patched), [q["sql"] for q in [*post, *patched]]


def test_a_scim_post_and_patch_gain_no_query_from_the_audit_trail(client, scim_token):
    # The first request also notes the token's last use: measure the ones after it.
    _scim_queries(client, scim_token, "warm-up@acme.example")
    with_audit = _scim_queries(client, scim_token, "first@acme.example")
    # The same requests with the audit trail's receivers taken away.
    removed = []
    for signal in (post_save, pre_save, post_delete):
        for rule in AUDITED:
            uid = ("travelportal.audit", id(signal), rule.model)
            receiver = next(row[1] for row in signal.receivers if row[0][0] == uid)
            model = apps.get_model(rule.model)
            assert signal.disconnect(sender=model, dispatch_uid=uid)
            removed.append((signal, receiver, model, uid))
    try:
        without_audit = _scim_queries(client, scim_token, "second@acme.example")
    finally:
        for signal, receiver, model, uid in removed:
            signal.connect(receiver, sender=model, dispatch_uid=uid, weak=False)

    assert with_audit[:2] == without_audit[:2], "\n".join(with_audit[2])
    assert not any("audit" in sql for sql in with_audit[2])


def test_support_staff_list_search_and_open_the_entries_in_admin(admin_edit, staff_client):
    entry = AuditEntry.objects.get()

    listing = staff_client.get("/admin/audit/auditentry/")
    search = staff_client.get("/admin/audit/auditentry/", {"q": "support@travelportal.example"})
    detail = staff_client.get(f"/admin/audit/auditentry/{entry.pk}/change/")

    assert listing.status_code == search.status_code == detail.status_code == 200
    assert "support@travelportal.example (Django admin)" in search.content.decode()
    assert "Acme Corporation" in detail.content.decode()


def test_the_admin_list_runs_a_fixed_number_of_queries(staff_client, company, other_company):
    def add_entries(count: int) -> None:
        with audited(AuditSource(kind="command", name="tests")):
            for number in range(count):
                CostCentre.objects.create(
                    company=company if number % 2 else other_company, name=f"C {CostCentre.objects.count()}"
                )

    add_entries(2)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get("/admin/audit/auditentry/").status_code == 200
    add_entries(30)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get("/admin/audit/auditentry/").status_code == 200

    assert len(many) == len(few), "\n".join(q["sql"] for q in many)


def test_deleting_a_company_in_admin_is_audited_and_the_entries_outlive_it(staff_client, other_company):
    company_id = other_company.pk
    TravelPolicy.objects.create(company=other_company, name="Gold")

    response = staff_client.post(f"/admin/companies/company/{company_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Company.objects.filter(pk=company_id).exists()
    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).order_by("object_repr")
    assert [(e.object_repr, e.company_id) for e in deleted] == [("Globex", company_id), ("Gold", company_id)]
    connection.check_constraints()
