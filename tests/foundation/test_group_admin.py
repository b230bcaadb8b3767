"""Django admin for groups: support sees every company's groups with their member counts,
memberships are read-only there, and deleting a group goes through the groups domain, so
the approval processes naming it let go of it."""

from __future__ import annotations

from django.urls import reverse

from approvals.services.manual_processes import save_process
from travelportal.companies.groups import GroupData, create_group
from travelportal.companies.models import Group


def test_support_sees_groups_of_every_company_with_member_counts(staff_client, company, other_company, traveller):
    create_group(company=company, data=GroupData(display_name="Sales", members=[str(traveller.pk)]))
    create_group(company=other_company, data=GroupData(display_name="Globex team"))
    response = staff_client.get(reverse("admin:companies_group_changelist"))
    rows = {(g.display_name, g.company.name, g._member_count) for g in response.context["cl"].result_list}
    assert rows == {("Sales", "Acme", 1), ("Globex team", "Globex", 0)}
    search = staff_client.get(reverse("admin:companies_group_changelist"), {"q": "globex"})
    assert [g.display_name for g in search.context["cl"].result_list] == ["Globex team"]


def test_deleting_a_group_in_admin_deactivates_the_process_it_leaves_empty(staff_client, company, acme_admin):
    sales = create_group(company=company, data=GroupData(display_name="Sales"))
    process = save_process(
        company=company, name="Sales trips", kind="manual", requesters=[], requester_groups=[sales],
        steps=[[acme_admin]],
    )  # fmt: skip
    response = staff_client.post(reverse("admin:companies_group_delete", args=[sales.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.exists()
    process.refresh_from_db()
    assert process.is_active is False


def test_memberships_are_read_only_in_admin(staff_client, company, traveller):
    sales = create_group(company=company, data=GroupData(display_name="Sales", members=[str(traveller.pk)]))
    response = staff_client.get(reverse("admin:companies_group_change", args=[sales.pk]))
    formset = response.context["inline_admin_formsets"][0]
    assert (formset.has_add_permission, formset.has_change_permission, formset.has_delete_permission) == (
        False,
        False,
        False,
    )
    assert str(traveller) in response.content.decode()


def test_support_adds_a_local_group(staff_client, company):
    response = staff_client.post(
        "/admin/companies/group/add/",
        {"company": company.pk, "display_name": "Local", "external_id": "", "policy_rank": 100,
         "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0},
    )  # fmt: skip

    assert response.status_code == 302
    assert Group.objects.filter(company=company, display_name="Local").exists()


def test_a_group_is_not_given_another_companys_travel_policy_in_admin(staff_client, company, other_company):
    from travelportal.companies.models import TravelPolicy

    theirs = TravelPolicy.objects.create(company=other_company, name="Globex")

    response = staff_client.post(
        "/admin/companies/group/add/",
        {"company": company.pk, "display_name": "Local", "external_id": "", "policy_rank": 100,
         "travel_policy": theirs.pk, "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0},
    )  # fmt: skip

    assert response.status_code == 200
    assert "Choose a travel policy of the company that is in use." in response.content.decode()
    assert not Group.objects.filter(display_name="Local").exists()


def test_a_policy_change_in_admin_goes_through_the_groups_domain_and_is_audited(staff_client, company):
    from travelportal.audit.models import AuditEntry
    from travelportal.companies.models import TravelPolicy

    group = create_group(company=company, data=GroupData(display_name="Sales", external_id="g1"))
    policy = TravelPolicy.objects.create(company=company, name="Standard")
    last_modified = Group.objects.get(pk=group.pk).updated_at

    response = staff_client.post(
        f"/admin/companies/group/{group.pk}/change/",
        {"policy_rank": 5, "travel_policy": policy.pk, "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    group.refresh_from_db()
    assert (group.travel_policy_id, group.policy_rank) == (policy.pk, 5)
    # What the portal owns of a group is no part of the SCIM resource: lastModified stays.
    assert group.updated_at == last_modified
    entry = AuditEntry.objects.filter(object_pk=str(group.pk)).latest("pk")
    assert {"travel_policy", "policy_rank"} <= set(entry.changes_dict)
