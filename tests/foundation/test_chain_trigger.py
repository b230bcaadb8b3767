"""One chain trigger: every writer of a person reports what it changed to
``report_person_changes``, which alone decides (from ``CHAIN_FIELDS``) whether approval
chains are rebuilt."""

from __future__ import annotations

import pytest

from tests.companysettings.test_people import _form_data
from tests.foundation.test_admin import admin_url, change_form_data
from tests.scim.conftest import ENTERPRISE, ScimClient
from travelportal.companies.models import User
from travelportal.companies.signals import CHAIN_FIELDS, report_person_changes

pytestmark = pytest.mark.django_db


def test_the_chain_fields_are_manager_activity_deletion_role_and_groups():
    assert {"manager", "is_active", "deleted_at", "role", "groups"} == CHAIN_FIELDS


def test_only_changes_of_chain_fields_and_new_people_are_reported(
    company, traveller, acme_admin, people_changed_signals
):
    assert report_person_changes(company_id=company.pk, changes={traveller.pk: ["title", "given_name"]}) == []
    assert report_person_changes(company_id=None, changes={traveller.pk: ["role"]}) == []
    sent = report_person_changes(company_id=company.pk, changes={traveller.pk: ["role"], acme_admin.pk: ["title"]})
    created = report_person_changes(company_id=company.pk, changes={acme_admin.pk: None})

    assert sent == [traveller.pk] and created == [acme_admin.pk]
    assert people_changed_signals == [(company.pk, [str(traveller.pk)]), (company.pk, [str(acme_admin.pk)])]


def test_a_role_change_in_company_settings_is_reported(acme_admin_client, traveller, people_changed_signals, company):
    response = acme_admin_client.post(
        f"/company/people/{traveller.pk}/edit/", _form_data(traveller, role=User.Role.TRAVEL_MANAGER)
    )

    assert response.status_code == 302
    assert people_changed_signals == [(company.pk, [str(traveller.pk)])]


def test_a_title_change_in_company_settings_is_not_a_chain_change(acme_admin_client, traveller, people_changed_signals):
    response = acme_admin_client.post(f"/company/people/{traveller.pk}/edit/", _form_data(traveller, title="CFO"))

    assert response.status_code == 302
    assert User.objects.get(pk=traveller.pk).title == "CFO"
    assert people_changed_signals == []


@pytest.mark.parametrize(("field", "value", "reported"), [("role", "admin", True), ("title", "Lead", False)])
def test_django_admin_edits_report_what_changed(
    staff_client, traveller, company, people_changed_signals, field, value, reported
):
    url = admin_url(User, "change", traveller.pk)
    data = change_form_data(staff_client.get(url))
    data[field] = value

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert getattr(User.objects.get(pk=traveller.pk), field) == value
    assert people_changed_signals == ([(company.pk, [str(traveller.pk)])] if reported else [])


def test_the_create_company_admin_command_reports_a_promotion(company, traveller, people_changed_signals):
    from django.core.management import call_command

    call_command("create_company_admin", "acme", traveller.username, "--password", "a-long-enough-passphrase-1")

    assert User.objects.get(pk=traveller.pk).role == User.Role.ADMIN
    assert people_changed_signals == [(company.pk, [str(traveller.pk)])]


def test_scim_reports_a_manager_change_but_not_a_title_change(
    client, scim_token, acme_admin, company, people_changed_signals
):
    scim = ScimClient(client, scim_token)
    person = scim.post("Users", {"userName": "p@acme.example"}).json()
    people_changed_signals.clear()

    scim.patch(f"Users/{person['id']}", [{"op": "replace", "path": "title", "value": "CFO"}])
    assert people_changed_signals == []
    scim.patch(f"Users/{person['id']}", [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": str(acme_admin.pk)}])
    assert people_changed_signals == [(company.pk, [person["id"]])]
