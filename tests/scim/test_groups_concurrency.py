"""Concurrent PATCHes of one group never lose a member: each reads the group under its
row lock, so two requests adding different members at the same moment queue and both
land. Needs PostgreSQL: SQLite serialises writers anyway."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from tests.scim.conftest import CORE_GROUP, PATCH_OP, bulk_people
from tests.scim.test_concurrent_person_writes import race
from travelportal.companies.models import GroupMembership

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent group writes need PostgreSQL row locks: set DATABASE_URL to a PostgreSQL database")


def group_patch(token: str, group_id: str, *operations: dict) -> Callable[[], object]:
    """A SCIM PATCH of a group from its own client, to be run in a thread."""
    body = json.dumps({"schemas": [PATCH_OP], "Operations": list(operations)})

    def send():
        return Client().patch(
            f"/scim/v2/Groups/{group_id}",
            data=body,
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return send


def _add(*people) -> dict:
    return {"op": "Add", "path": "members", "value": [{"value": str(p.pk)} for p in people]}


def _members(group_id) -> set:
    return set(GroupMembership.objects.filter(group_id=group_id).values_list("user_id", flat=True))


@pytest.fixture
def group(scim) -> str:
    response = scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Sales"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_two_patches_adding_different_members_at_once_keep_both_in_every_round(scim_token, company, group):
    people = bulk_people(company, 2 * 30)
    expected: set = set()
    for round_no in range(30):
        first, second = people[2 * round_no], people[2 * round_no + 1]

        responses = race(group_patch(scim_token, group, _add(first)), group_patch(scim_token, group, _add(second)))

        assert [r.status_code for r in responses] == [204, 204], [r.content[:300] for r in responses]
        expected |= {first.pk, second.pk}
        lost = expected - _members(group)
        assert not lost, f"round {round_no}: lost members {lost}"


def test_batches_of_members_added_at_once_all_land(scim_token, company, group):
    people = bulk_people(company, 4 * 50)
    batches = [people[i : i + 50] for i in range(0, len(people), 50)]

    responses = race(*(group_patch(scim_token, group, _add(*batch)) for batch in batches))

    assert [r.status_code for r in responses] == [204] * 4, [r.content[:300] for r in responses]
    assert _members(group) == {p.pk for p in people}


def test_an_add_and_a_remove_of_different_members_at_once_both_apply(scim, scim_token, company, group):
    people = bulk_people(company, 3)
    assert scim.patch(f"Groups/{group}", [_add(people[0], people[1])]).status_code == 204
    for round_no in range(20):
        stay, leave, join = people[0], people[1], people[2]

        responses = race(
            group_patch(scim_token, group, {"op": "remove", "path": f'members[value eq "{leave.pk}"]'}),
            group_patch(scim_token, group, _add(join)),
        )

        assert [r.status_code for r in responses] == [204, 204], [r.content[:300] for r in responses]
        assert _members(group) == {stay.pk, join.pk}, f"round {round_no}"
        # Back to the start for the next round.
        assert (
            scim.patch(
                f"Groups/{group}",
                [{"op": "replace", "path": "members", "value": [{"value": str(stay.pk)}, {"value": str(leave.pk)}]}],
            ).status_code
            == 204
        )


def test_a_rename_and_a_member_add_at_once_both_apply(scim_token, company, group):
    people = bulk_people(company, 20)
    for round_no, person in enumerate(people):
        name = f"Sales {round_no}"

        responses = race(
            group_patch(scim_token, group, {"op": "Replace", "path": "displayName", "value": name}),
            group_patch(scim_token, group, _add(person)),
        )

        assert [r.status_code for r in responses] == [204, 204], [r.content[:300] for r in responses]
        from travelportal.companies.models import Group

        assert Group.objects.get(pk=group).display_name == name
        assert person.pk in _members(group), f"round {round_no}"


def test_two_creates_of_one_name_in_different_cases_leave_one_group(scim_token, company):
    from travelportal.companies.models import Group

    def create(name: str):
        def send():
            return Client().post(
                "/scim/v2/Groups",
                data=json.dumps({"schemas": [CORE_GROUP], "displayName": name}),
                content_type="application/scim+json",
                HTTP_AUTHORIZATION=f"Bearer {scim_token}",
            )

        return send

    for round_no in range(10):
        responses = race(create(f"Team {round_no}"), create(f"TEAM {round_no}"))

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [r.content[:300] for r in responses]
        assert json.loads(next(r for r in responses if r.status_code == 409).content)["scimType"] == "uniqueness"
        assert Group.objects.named(f"team {round_no}").count() == 1


def test_a_person_added_while_being_deleted_is_never_left_in_the_group(scim_token, company, group):
    people = bulk_people(company, 25)
    for round_no, person in enumerate(people):

        def delete(person=person):
            return Client().delete(f"/scim/v2/Users/{person.pk}", HTTP_AUTHORIZATION=f"Bearer {scim_token}")

        added, deleted = race(group_patch(scim_token, group, _add(person)), delete, delays=(0, 0.002 * (round_no % 5)))

        assert deleted.status_code == 204, deleted.content[:300]
        # The add either came first (and the delete took the person out again) or found
        # the person deleted (400 naming them); a deleted person is never a member.
        assert added.status_code in (204, 400), added.content[:300]
        assert person.pk not in _members(group), (
            f"round {round_no}: the deleted person is still a member ({added.status_code})"
        )
