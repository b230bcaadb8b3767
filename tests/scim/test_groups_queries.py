"""Groups cost a fixed number of SQL queries: a list whatever the number of groups, a
PATCH whatever the number of members it adds or removes, a read whatever the size of
the group; a group of 10,000 members read without its members costs what an empty one
does. Each failure prints the SQL."""

from __future__ import annotations

import time
from urllib.parse import quote_plus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim.conftest import CORE_GROUP, PATCH_OP, bulk_people, log_write_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token_used(scim):
    """The token's first request also records when it was used; measure the ones after."""
    assert scim.get("ServiceProviderConfig").status_code == 200


def _run(scim, method: str, path: str, payload=None) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = scim.request(method, path, payload)
    assert response.status_code < 400, response.content
    return response, [q["sql"] for q in queries.captured_queries]


def _explain(*runs: list[str]) -> str:
    return "\n\n--\n\n".join("\n".join(sql[:300] for sql in run) for run in runs)


def _add(ids) -> dict:
    return {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": str(i.pk)} for i in ids]}],
    }


def _remove(ids) -> dict:
    return {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "remove", "path": "members", "value": [{"value": str(i.pk)} for i in ids]}],
    }


def _count(group_id) -> int:
    from travelportal.companies.models import GroupMembership

    return GroupMembership.objects.filter(group_id=group_id).count()


def _group(scim, name: str, members=()) -> str:
    response = scim.post(
        "Groups", {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": str(m.pk)} for m in members]}
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_list_of_groups_with_members_costs_the_same_for_1_and_20_groups(scim, company):
    people = bulk_people(company, 30)
    _group(scim, "Group 0", people[:3])
    _, one = _run(scim, "GET", "Groups")
    for n in range(1, 20):
        _group(scim, f"Group {n}", people[n : n + 5])

    response, twenty = _run(scim, "GET", "Groups")

    assert response.json()["totalResults"] == 20
    assert all(r["members"] for r in response.json()["Resources"])
    # token, COUNT, the page, its memberships with their people, the log INSERT
    assert len(one) == len(twenty) <= 4 + log_write_queries(), _explain(one, twenty)


def test_a_filtered_list_without_members_costs_no_more_than_one_with(scim, company):
    people = bulk_people(company, 5)
    for n in range(5):
        _group(scim, f"Group {n}", people)

    _, with_members = _run(scim, "GET", "Groups?filter=displayName+sw+%22group%22")
    _, without = _run(scim, "GET", "Groups?filter=displayName+sw+%22group%22&excludedAttributes=members")

    assert len(without) == len(with_members) - 1, _explain(with_members, without)


@pytest.mark.parametrize(
    "query",
    [
        'members eq "{uid}"',
        'displayName sw "group" and members.value eq "{uid}"',
        'members eq "{uid}"&excludedAttributes=members',
        'id eq "{gid}" and members eq "{uid}"&attributes=id',
    ],
    ids=["members", "displayName-and-members", "members-excluded", "entra-confirm"],
)
def test_a_member_filter_costs_the_same_for_1_and_20_groups_of_any_size(scim, company, query):
    people = bulk_people(company, 200)
    person = people[0]
    first = _group(scim, "Group 0", [person])

    def listing(gid: str) -> tuple[object, list[str]]:
        expression, _, extra = query.replace("{uid}", str(person.pk)).replace("{gid}", gid).partition("&")
        return _run(scim, "GET", f"Groups?filter={quote_plus(expression)}" + (f"&{extra}" if extra else ""))

    _, one = listing(first)
    for n in range(1, 20):
        # Every group has the person, and from 10 to 172 others.
        _group(scim, f"Group {n}", [person, *people[n : n * 10 + 1]])
    _group(scim, "Group without", people[1:50])
    last = _group(scim, "Group 20", [person, *people[1:]])

    response, twenty = listing(last)

    doc = response.json()
    expected = 1 if "{gid}" in query else 21
    assert (doc["totalResults"], len(doc["Resources"])) == (expected, expected)
    assert all("members" not in r for r in doc["Resources"]) == ("&" in query)
    # token, the page (the member test an EXISTS in its WHERE), its memberships with
    # their people unless excluded, the log INSERT; no COUNT for a page that is not full.
    expected_queries = (2 if "&" in query else 3) + log_write_queries()
    assert len(one) == len(twenty) == expected_queries, _explain(one, twenty)
    [page] = [sql for sql in twenty if 'FROM "companies_group"' in sql and "EXISTS" in sql]
    assert page.count("EXISTS") == 1 and "JOIN" not in page, page


@pytest.mark.parametrize("build", [_add, _remove], ids=["add", "remove"])
def test_changing_n_members_in_one_patch_costs_the_same_for_1_and_200(scim, company, build):
    people = bulk_people(company, 201)
    small = _group(scim, "Small", people if build is _remove else ())
    large = _group(scim, "Large", people if build is _remove else ())

    _, one = _run(scim, "PATCH", f"Groups/{small}", build(people[:1]))
    _, two_hundred = _run(scim, "PATCH", f"Groups/{large}", build(people[:200]))

    assert len(one) == len(two_hundred) <= 11 + log_write_queries(), _explain(one, two_hundred)

    if build is _add:
        assert (_count(small), _count(large)) == (1, 200)
    else:
        assert (_count(small), _count(large)) == (200, 1)


def test_replacing_the_members_costs_the_same_for_1_and_100(scim, company):
    # 100 out and 100 in: 200 people moved, one batch of every bulk INSERT even on SQLite
    # (whose batches hold 333 rows of three columns).
    people = bulk_people(company, 200)
    small, large = _group(scim, "Small", people[:1]), _group(scim, "Large", people[:100])

    replace = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "members"}]}
    _, one = _run(
        scim,
        "PATCH",
        f"Groups/{small}",
        {**replace, "Operations": [{**replace["Operations"][0], "value": [{"value": str(people[1].pk)}]}]},
    )
    _, two_hundred = _run(
        scim,
        "PATCH",
        f"Groups/{large}",
        {
            **replace,
            "Operations": [{**replace["Operations"][0], "value": [{"value": str(p.pk)} for p in people[100:]]}],
        },
    )

    assert len(one) == len(two_hundred), _explain(one, two_hundred)


def test_creating_a_group_with_n_members_costs_the_same_for_1_and_200(scim, company):
    people = bulk_people(company, 201)
    payload = {"schemas": [CORE_GROUP], "displayName": "One", "members": [{"value": str(people[0].pk)}]}
    _, one = _run(scim, "POST", "Groups", payload)
    payload = {"schemas": [CORE_GROUP], "displayName": "Many", "members": [{"value": str(p.pk)} for p in people[1:]]}
    _, two_hundred = _run(scim, "POST", "Groups", payload)

    assert len(one) == len(two_hundred), _explain(one, two_hundred)


def test_reading_a_group_with_its_members_is_a_fixed_number_of_queries(scim, company):
    people = bulk_people(company, 100)
    small, large = _group(scim, "Small", people[:1]), _group(scim, "Large", people)

    _, one = _run(scim, "GET", f"Groups/{small}")
    response, hundred = _run(scim, "GET", f"Groups/{large}")

    assert len(response.json()["members"]) == 100
    # token, the group, its memberships with their people, the log INSERT
    assert len(one) == len(hundred) <= 3 + log_write_queries(), _explain(one, hundred)


def test_a_put_costs_the_same_for_1_and_200_members(scim, company):
    people = bulk_people(company, 201)
    small, large = _group(scim, "Small", people[:1]), _group(scim, "Large", people[:100])

    _, one = _run(
        scim,
        "PUT",
        f"Groups/{small}",
        {"schemas": [CORE_GROUP], "displayName": "Small", "members": [{"value": str(people[1].pk)}]},
    )
    _, many = _run(
        scim,
        "PUT",
        f"Groups/{large}",
        {"schemas": [CORE_GROUP], "displayName": "Large", "members": [{"value": str(p.pk)} for p in people[1:]]},
    )

    assert len(one) == len(many), _explain(one, many)


def test_a_person_with_many_groups_is_read_in_a_fixed_number_of_queries(scim, company):
    [person] = bulk_people(company, 1)
    _group(scim, "First", [person])
    _, one = _run(scim, "GET", f"Users/{person.pk}")
    for n in range(20):
        _group(scim, f"Group {n}", [person])

    response, many = _run(scim, "GET", f"Users/{person.pk}")

    assert len(response.json()["groups"]) == 21
    assert len(one) == len(many), _explain(one, many)


def test_a_group_of_10000_filled_in_entra_sized_batches_reads_back_like_an_empty_one(scim, company):
    people = bulk_people(company, 10_000)
    empty, big = _group(scim, "Empty"), _group(scim, "Everyone")

    started = time.perf_counter()
    for start in range(0, len(people), 100):
        response = scim.patch(f"Groups/{big}", body=_add(people[start : start + 100]))
        assert response.status_code == 204, response.content
    filling = time.perf_counter() - started

    from travelportal.companies.models import GroupMembership

    assert GroupMembership.objects.filter(group_id=big).count() == 10_000
    _, of_empty = _run(scim, "GET", f"Groups/{empty}?excludedAttributes=members")
    started = time.perf_counter()
    response, of_big = _run(scim, "GET", f"Groups/{big}?excludedAttributes=members")
    reading = time.perf_counter() - started
    listed, listing = _run(scim, "GET", "Groups?excludedAttributes=members&filter=displayName+eq+%22everyone%22")

    assert "members" not in response.json() and response.json()["displayName"] == "Everyone"
    assert len(of_empty) == len(of_big), _explain(of_empty, of_big)
    assert not [sql for sql in of_big + listing if "companies_groupmembership" in sql], _explain(of_big, listing)
    assert [r["id"] for r in listed.json()["Resources"]] == [big]
    assert reading < 1.0, f"reading the group without members took {reading:.2f}s"
    # 100 PATCHes; each must not grow with the group's size.
    assert filling < 60, f"filling the group took {filling:.1f}s"


def test_a_late_batch_of_a_big_group_costs_what_the_first_did(scim, company):
    people = bulk_people(company, 2_000)
    big = _group(scim, "Everyone")

    _, first = _run(scim, "PATCH", f"Groups/{big}", _add(people[:100]))
    for start in range(100, 1_900, 200):
        scim.patch(f"Groups/{big}", body=_add(people[start : start + 200]))
    _, late = _run(scim, "PATCH", f"Groups/{big}", _add(people[1_900:]))

    assert len(first) == len(late), _explain(first, late)
    # A batch reads back only the memberships it is about, not the whole group.
    reads = [sql for sql in late if sql.startswith("SELECT") and 'FROM "companies_groupmembership"' in sql]
    assert reads and all('"companies_groupmembership"."user_id" IN (' in sql for sql in reads), _explain(reads)
