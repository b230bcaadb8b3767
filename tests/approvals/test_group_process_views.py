"""Company Settings > Approval processes with groups: an admin names groups as requesters,
the pages show them, the list counts their members, and a process left without requesters
by a deleted group is flagged inactive on its page and in the list."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalProcess
from approvals.services.manual_processes import save_process
from travelportal.companies.groups import GroupData, create_group, delete_group
from travelportal.companies.models import User


def people(company, prefix: str, count: int) -> list[User]:
    return [User.objects.create_user(f"{prefix}{n}@acme.example", None, company=company) for n in range(count)]


def group(company, name: str, members) -> object:
    return create_group(company=company, data=GroupData(display_name=name, members=[str(m.pk) for m in members]))


def test_an_admin_names_a_group_as_the_requesters(acme_admin_client, company, acme_admin, traveller):
    sales = group(company, "Sales", [traveller])
    response = acme_admin_client.post(
        "/company/approval-processes/new/",
        {"name": "Sales trips", "kind": "manual", "requester_groups": [sales.pk], "step_1": [acme_admin.pk]},
    )
    process = ApprovalProcess.objects.get()
    assert response.url == f"/company/approval-processes/{process.pk}/"
    assert (list(process.requesters.all()), list(process.requester_groups.all())) == ([], [sales])

    html = acme_admin_client.get(f"/company/approval-processes/{process.pk}/").content.decode()
    assert f'<a href="/company/groups/{sales.pk}/">Sales</a> <span class="muted">1 member</span>' in html
    edit = acme_admin_client.get(f"/company/approval-processes/{process.pk}/edit/")
    assert edit.context["form"].initial["requester_groups"] == [sales]


def test_a_manual_process_needs_a_person_or_a_group_and_nothing_is_written(acme_admin_client, acme_admin):
    response = acme_admin_client.post(
        "/company/approval-processes/new/", {"name": "Nobody's", "kind": "manual", "step_1": [acme_admin.pk]}
    )
    assert response.status_code == 400
    assert "A manual process needs at least one requester: a person or a group." in response.content.decode()
    assert not ApprovalProcess.objects.exists()


def test_another_companys_group_is_not_a_choice(acme_admin_client, other_company, acme_admin):
    theirs = group(other_company, "Theirs", [])
    response = acme_admin_client.post(
        "/company/approval-processes/new/",
        {"name": "Mine", "kind": "manual", "requester_groups": [theirs.pk], "step_1": [acme_admin.pk]},
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not ApprovalProcess.objects.exists()


def test_the_list_counts_group_members_and_named_people_once_each(acme_admin_client, company, acme_admin):
    team = people(company, "t", 4)
    sales, support = group(company, "Sales", team[:3]), group(company, "Support", team[1:])
    save_process(company=company, name="Mixed", kind="manual", requesters=[team[0], acme_admin],
                 requester_groups=[sales, support], steps=[[acme_admin]])  # fmt: skip
    response = acme_admin_client.get("/company/approval-processes/")
    assert [(p.name, p.requester_count) for p in response.context["page"].object_list] == [("Mixed", 5)]


def test_searching_finds_a_process_through_a_member_of_its_group(acme_admin_client, company, acme_admin, traveller):
    save_process(company=company, name="Sales trips", kind="manual", requesters=[],
                 requester_groups=[group(company, "Sales", [traveller])], steps=[[acme_admin]])  # fmt: skip
    page = acme_admin_client.get("/company/approval-processes/", {"q": "tom"}).context["page"]
    assert [(p.name, p.requester_count) for p in page.object_list] == [("Sales trips", 1)]


def test_the_list_costs_the_same_queries_however_large_the_groups(acme_admin_client, company, acme_admin):
    def add_processes(start: int, count: int, size: int) -> None:
        for n in range(start, start + count):
            team = group(company, f"Team {n}", people(company, f"p{n}x", size))
            save_process(company=company, name=f"P{n}", kind="manual", requesters=[acme_admin],
                         requester_groups=[team], steps=[[acme_admin]])  # fmt: skip

    add_processes(0, 1, 1)
    with CaptureQueriesContext(connection) as few:
        assert acme_admin_client.get("/company/approval-processes/").status_code == 200
    add_processes(1, 8, 12)
    with CaptureQueriesContext(connection) as many:
        response = acme_admin_client.get("/company/approval-processes/")
    sql = "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) == len(few), f"{len(few)} then {len(many)} queries:\n{sql}"
    assert sorted(p.requester_count for p in response.context["page"].object_list) == [2] + [13] * 8


def test_a_process_left_without_requesters_is_flagged_on_its_page_and_in_the_list(
    acme_admin_client, company, acme_admin, traveller
):
    sales = group(company, "Sales", [traveller])
    process = save_process(company=company, name="Sales trips", kind="manual", requesters=[],
                           requester_groups=[sales], steps=[[acme_admin]])  # fmt: skip
    delete_group(group=sales)

    html = acme_admin_client.get("/company/approval-processes/").content.decode()
    assert "Inactive: no requesters" in html
    html = acme_admin_client.get(f"/company/approval-processes/{process.pk}/").content.decode()
    assert "Inactive: this process has no requesters." in html
    assert "No groups." in html

    acme_admin_client.post(
        f"/company/approval-processes/{process.pk}/edit/",
        {"name": "Sales trips", "kind": "manual", "requesters": [traveller.pk], "step_1": [acme_admin.pk]},
    )
    process.refresh_from_db()
    assert process.is_active is True
    assert "Inactive" not in acme_admin_client.get(f"/company/approval-processes/{process.pk}/").content.decode()
