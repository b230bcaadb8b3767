"""Company Settings > Groups: the list (search, member counts, pagination, fixed queries), a
group's page (members, approval processes, travel policy), the form for what the portal
owns of a group, and the person's page saying where their travel policy comes from."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.services.manual_processes import save_process
from travelportal.companies.groups import GroupData, create_group, set_group_policy
from travelportal.companies.models import Group, TravelPolicy, User


def person(company, name: str, **fields) -> User:
    return User.objects.create_user(
        f"{name}@{company.slug}.example", None, company=company, given_name=name.capitalize(), family_name="Member",
        **fields,
    )  # fmt: skip


def group(company, name: str, *members: User) -> Group:
    return create_group(company=company, data=GroupData(display_name=name, members=[str(m.pk) for m in members]))


@pytest.fixture
def policy(company):
    return TravelPolicy.objects.create(company=company, name="Premium", max_trip_cost=Decimal("5000"))


@pytest.fixture
def sales(company, traveller):
    return group(company, "Sales", traveller, person(company, "sam"))


# --- List ---------------------------------------------------------------------------------


def test_the_list_shows_groups_with_member_and_process_counts(acme_admin_client, company, sales, acme_admin, policy):
    group(company, "Empty")
    save_process(company=company, name="Sales trips", kind="manual", requesters=[], requester_groups=[sales],
                 steps=[[acme_admin]])  # fmt: skip
    Group.objects.filter(pk=sales.pk).update(travel_policy=policy, policy_rank=5)
    response = acme_admin_client.get("/company/groups/")
    rows = [(g.display_name, g.member_count, g.process_count) for g in response.context["page"].object_list]
    assert rows == [("Empty", 0, 0), ("Sales", 2, 1)]
    html = response.content.decode()
    assert f'href="/company/groups/{sales.pk}/"' in html
    assert "Premium" in html and ">SCIM<" in html


def test_the_list_searches_by_name_and_hides_other_companies(acme_admin_client, company, other_company, sales):
    group(company, "Support")
    group(other_company, "Sales abroad")
    page = acme_admin_client.get("/company/groups/", {"q": "sAL"}).context["page"]
    assert [g.display_name for g in page.object_list] == ["Sales"]
    html = acme_admin_client.get("/company/groups/", {"q": "nothing"}).content.decode()
    assert "No group matches “nothing”." in html


def test_the_list_is_paginated(acme_admin_client, company):
    for n in range(30):
        group(company, f"Team {n:02}")
    first = acme_admin_client.get("/company/groups/")
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert [g.display_name for g in acme_admin_client.get("/company/groups/", {"page": 2}).context["page"]] == [
        f"Team {n}" for n in range(25, 30)
    ]


def test_the_list_makes_the_same_number_of_queries_for_2_and_25_groups(acme_admin_client, company, acme_admin, policy):
    def add_groups(start: int, count: int) -> None:
        for n in range(start, start + count):
            members = [person(company, f"m{n}x{i}") for i in range(3)]
            made = group(company, f"Team {n:02}", *members)
            Group.objects.filter(pk=made.pk).update(travel_policy=policy)
            save_process(company=company, name=f"P{n}", kind="manual", requesters=[], requester_groups=[made],
                         steps=[[acme_admin]])  # fmt: skip

    add_groups(0, 2)
    with CaptureQueriesContext(connection) as few:
        assert acme_admin_client.get("/company/groups/").status_code == 200
    add_groups(2, 23)
    with CaptureQueriesContext(connection) as many:
        assert acme_admin_client.get("/company/groups/", {"q": "team"}).status_code == 200
    sql = "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) == len(few), f"{len(few)} then {len(many)} queries:\n{sql}"
    assert len(many) <= 8, sql


# --- A group's page -----------------------------------------------------------------------


def test_a_groups_page_shows_members_processes_and_policy(acme_admin_client, company, sales, traveller, acme_admin,
                                                          policy):  # fmt: skip
    process = save_process(company=company, name="Sales trips", kind="manual", requesters=[],
                           requester_groups=[sales], steps=[[acme_admin]])  # fmt: skip
    Group.objects.filter(pk=sales.pk).update(travel_policy=policy, policy_rank=7)
    html = acme_admin_client.get(f"/company/groups/{sales.pk}/").content.decode()
    assert f'href="/company/people/{traveller.pk}/"' in html
    assert "Sam Member" in html
    assert f'href="/company/approval-processes/{process.pk}/"' in html
    assert '<dd id="group-travel-policy">Premium</dd>' in html
    assert '<dd id="group-policy-rank">7</dd>' in html
    assert "managed by your identity provider; changes there overwrite changes here" in html


def test_a_groups_members_are_paginated_in_a_fixed_number_of_queries(acme_admin_client, company):
    big = group(company, "Everyone", *[person(company, f"e{n}") for n in range(3)])
    with CaptureQueriesContext(connection) as few:
        acme_admin_client.get(f"/company/groups/{big.pk}/")
    more = [str(person(company, f"f{n}").pk) for n in range(60)]
    Group.objects.get(pk=big.pk).memberships.bulk_create([big.memberships.model(group=big, user_id=pk) for pk in more])
    with CaptureQueriesContext(connection) as many:
        response = acme_admin_client.get(f"/company/groups/{big.pk}/")
    sql = "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) == len(few), f"{len(few)} then {len(many)} queries:\n{sql}"
    assert len(response.context["page"].object_list) == 50
    assert "Page 1 of 2" in response.content.decode()


# --- Editing what the portal owns -----------------------------------------------------------


def test_an_admin_sets_a_groups_travel_policy_and_order(acme_admin_client, sales, policy):
    before = Group.objects.get(pk=sales.pk).updated_at
    response = acme_admin_client.post(f"/company/groups/{sales.pk}/edit/", {"travel_policy": policy.pk,
                                                                            "policy_rank": "3"})  # fmt: skip
    assert response.status_code == 302
    assert response.url == f"/company/groups/{sales.pk}/"
    sales.refresh_from_db()
    assert (sales.travel_policy, sales.policy_rank) == (policy, 3)
    # Not part of the SCIM resource: its meta.lastModified stays.
    assert sales.updated_at == before
    response = acme_admin_client.post(f"/company/groups/{sales.pk}/edit/", {"travel_policy": "", "policy_rank": "3"})
    sales.refresh_from_db()
    assert sales.travel_policy is None


def test_the_form_shows_the_scim_attributes_read_only(acme_admin_client, sales):
    members = set(sales.members.values_list("pk", flat=True))
    response = acme_admin_client.get(f"/company/groups/{sales.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["travel_policy", "policy_rank"]
    assert 'id="id_display_name" value="Sales" disabled' in html
    assert "changes there overwrite changes here" in html
    # Posting SCIM attributes changes none of them.
    acme_admin_client.post(f"/company/groups/{sales.pk}/edit/",
                           {"display_name": "Mine", "members": [], "policy_rank": "100"})  # fmt: skip
    sales.refresh_from_db()
    assert sales.display_name == "Sales"
    assert set(sales.members.values_list("pk", flat=True)) == members


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"policy_rank": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"policy_rank": "first"}, "Enter a whole number."),
        ({"policy_rank": ""}, "This field is required."),
        ({"policy_rank": "1", "travel_policy": "999999"}, "Select a valid choice."),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_written(acme_admin_client, sales, policy, data, message):
    response = acme_admin_client.post(f"/company/groups/{sales.pk}/edit/", {"travel_policy": policy.pk, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    sales.refresh_from_db()
    assert (sales.travel_policy, sales.policy_rank) == (None, 100)


def test_another_companys_or_an_archived_policy_is_refused(acme_admin_client, sales, other_company, company):
    theirs = TravelPolicy.objects.create(company=other_company, name="Theirs")
    archived = TravelPolicy.objects.create(company=company, name="Old", archived_at=timezone.now())
    for choice in (theirs, archived):
        response = acme_admin_client.post(f"/company/groups/{sales.pk}/edit/",
                                          {"travel_policy": choice.pk, "policy_rank": "1"})  # fmt: skip
        assert response.status_code == 400
        assert "Select a valid choice." in response.content.decode()
    sales.refresh_from_db()
    assert (sales.travel_policy, sales.policy_rank) == (None, 100)


def test_a_group_keeps_its_archived_policy_when_only_the_order_changes(acme_admin_client, company, sales):
    old = TravelPolicy.objects.create(company=company, name="Old")
    Group.objects.filter(pk=sales.pk).update(travel_policy=old)
    old.archived_at = timezone.now()
    old.save(update_fields=["archived_at"])
    response = acme_admin_client.post(f"/company/groups/{sales.pk}/edit/", {"travel_policy": old.pk,
                                                                            "policy_rank": "2"})  # fmt: skip
    assert response.status_code == 302
    sales.refresh_from_db()
    assert (sales.travel_policy, sales.policy_rank) == (old, 2)


# --- Who may open the pages -------------------------------------------------------------------


def group_urls(group: Group) -> list[str]:
    return [f"/company/groups/{group.pk}/", f"/company/groups/{group.pk}/edit/"]


def test_another_companys_group_is_not_found(other_admin_client, sales, policy):
    for url in group_urls(sales):
        assert other_admin_client.get(url).status_code == 404
    assert other_admin_client.post(group_urls(sales)[1], {"policy_rank": "1"}).status_code == 404
    assert "Sales" not in other_admin_client.get("/company/groups/").content.decode()
    sales.refresh_from_db()
    assert sales.policy_rank == 100


def test_a_traveller_is_refused_and_nothing_is_written(traveller_client, sales, policy):
    for url in ["/company/groups/", *group_urls(sales)]:
        assert traveller_client.get(url).status_code == 403
    response = traveller_client.post(group_urls(sales)[1], {"travel_policy": policy.pk, "policy_rank": "1"})
    assert response.status_code == 403
    sales.refresh_from_db()
    assert (sales.travel_policy, sales.policy_rank) == (None, 100)


def test_anonymous_visitors_are_sent_to_sign_in(client, sales, policy):
    for url in ["/company/groups/", *group_urls(sales)]:
        assert client.get(url).url.startswith("/accounts/login/?next=")
    assert client.post(group_urls(sales)[1], {"policy_rank": "1"}).url.startswith("/accounts/login/")
    sales.refresh_from_db()
    assert sales.policy_rank == 100


def test_group_pages_refuse_other_methods(acme_admin_client, sales):
    assert acme_admin_client.post("/company/groups/").status_code == 405
    assert acme_admin_client.post(f"/company/groups/{sales.pk}/").status_code == 405
    assert acme_admin_client.delete(f"/company/groups/{sales.pk}/edit/").status_code == 405
    assert Group.objects.filter(pk=sales.pk).exists()


# --- The person's page ----------------------------------------------------------------------


def test_a_persons_page_lists_their_groups_and_where_their_policy_comes_from(
    acme_admin_client, company, sales, traveller, policy
):
    support = group(company, "Support", traveller)
    Group.objects.filter(pk=support.pk).update(travel_policy=policy, policy_rank=1)
    html = acme_admin_client.get(f"/company/people/{traveller.pk}/").content.decode()
    assert (
        f'<a href="/company/groups/{sales.pk}/">Sales</a>, <a href="/company/groups/{support.pk}/">Support</a>' in html
    )
    assert f'(from the group <a href="/company/groups/{support.pk}/">Support</a>)' in html

    traveller.travel_policy = TravelPolicy.objects.create(company=company, name="Own")
    traveller.save(update_fields=["travel_policy"])
    html = acme_admin_client.get(f"/company/people/{traveller.pk}/").content.decode()
    assert 'Own <span class="muted" id="travel-policy-source">(their own)</span>' in html


def test_a_person_in_no_group_has_none_listed(acme_admin_client, traveller):
    html = acme_admin_client.get(f"/company/people/{traveller.pk}/").content.decode()
    assert '<dd id="person-groups">—</dd>' in html


def test_the_service_refuses_another_companys_policy_and_a_negative_order(sales, other_company):
    theirs = TravelPolicy.objects.create(company=other_company, name="Theirs")
    with pytest.raises(ValidationError) as error:
        set_group_policy(group=sales, travel_policy=theirs, policy_rank=-1)
    assert error.value.message_dict == {
        "travel_policy": ["Choose a travel policy of the company that is in use."],
        "policy_rank": ["The policy order is a whole number, 0 or more."],
    }
    sales.refresh_from_db()
    assert (sales.travel_policy, sales.policy_rank) == (None, 100)
