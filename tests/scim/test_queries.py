"""A list of any page size and a get run a fixed number of SQL queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim.conftest import ENTERPRISE, PATCH_OP, entra_user, log_write_queries

pytestmark = pytest.mark.django_db


def _provision(scim, count: int, manager_id: str) -> None:
    for n in range(count):
        body = entra_user(f"p{n}@acme.example", externalId=f"E{n}")
        body[ENTERPRISE] = {"costCenter": f"CC{n % 3}", "manager": manager_id}
        assert scim.post("Users", body).status_code == 201


def _count(scim, path: str, params: dict | None = None) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = scim.client.get(f"/scim/v2/{path}", params or {}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert response.status_code == 200, response.content
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_a_list_runs_the_same_queries_for_any_page_size(scim, catalogue, acme_admin):
    _provision(scim, 2, str(acme_admin.pk))
    small, small_sql = _count(scim, "Users", {"count": 1})
    for n in range(2, 12):
        body = entra_user(f"p{n}@acme.example", externalId=f"E{n}")
        body[ENTERPRISE] = {"costCenter": "CC", "manager": str(acme_admin.pk)}
        scim.post("Users", body)
    large, large_sql = _count(scim, "Users", {"count": 10})
    filtered, filtered_sql = _count(scim, "Users", {"filter": 'userName sw "p"', "count": 10})

    # full pages: token lookup, COUNT, page, invoice profiles and groups prefetches, log INSERT
    assert small == large == filtered <= 5 + log_write_queries(), "\n\n".join(
        [*small_sql, "--", *large_sql, "--", *filtered_sql]
    )
    assert any("COUNT(" in sql.upper() for sql in large_sql), "\n".join(large_sql)


def test_a_page_that_is_not_full_tells_the_total_without_counting(scim, catalogue, acme_admin):
    _provision(scim, 3, str(acme_admin.pk))

    count, sql = _count(scim, "Users", {"count": 100})
    later, later_sql = _count(scim, "Users", {"startIndex": 3, "count": 100})

    assert count == later <= 4 + log_write_queries(), "\n".join(sql)
    assert not any("COUNT(" in q.upper() for q in sql + later_sql), "\n".join(sql + later_sql)
    listed = scim.get("Users?startIndex=3&count=100").json()
    assert (listed["totalResults"], listed["itemsPerPage"]) == (4, 2)  # acme_admin and the three


def test_a_page_past_the_end_still_counts_the_results(scim, catalogue, acme_admin):
    _provision(scim, 2, str(acme_admin.pk))

    listed = scim.get("Users?startIndex=10&count=5").json()

    assert (listed["totalResults"], listed["itemsPerPage"], listed["Resources"]) == (3, 0, [])


def test_entras_lookup_of_someone_not_there_is_one_read(scim, catalogue):
    _count(scim, "Users")  # the token's first use of the minute writes last_used_at
    count, sql = _count(scim, "Users", {"filter": 'userName eq "nobody@acme.example"'})

    # token lookup, the (empty) page, the log write
    assert count == 2 + log_write_queries(), "\n".join(sql)


def test_a_get_runs_a_fixed_number_of_queries(scim, created, acme_admin):
    scim.patch(f"Users/{created['id']}", [{"op": "add", "path": "manager", "value": str(acme_admin.pk)}])

    count, sql = _count(scim, f"Users/{created['id']}")

    # token lookup, the person with manager/cost centre/policy, invoice profiles, groups, log INSERT
    assert count <= 4 + log_write_queries(), "\n".join(sql)


def test_a_list_never_counts_by_iterating_rows(scim, catalogue, acme_admin):
    _provision(scim, 3, str(acme_admin.pk))

    _, sql = _count(scim, "Users", {"count": 1})

    page_queries = [s for s in sql if s.startswith('SELECT "companies_user"."password"')]
    assert len(page_queries) == 1, "\n".join(sql)
    assert "LIMIT 1" in page_queries[0], "\n".join(sql)


def test_a_lookup_of_one_person_by_username_or_id_is_not_ordered(scim, catalogue, acme_admin):
    _provision(scim, 2, str(acme_admin.pk))

    _, by_name = _count(scim, "Users", {"filter": 'userName eq "P1@ACME.EXAMPLE"'})
    _, by_id = _count(scim, "Users", {"filter": f'id eq "{acme_admin.pk}"'})
    _, by_prefix = _count(scim, "Users", {"filter": 'userName sw "p"'})

    def page(sql):
        return next(s for s in sql if s.startswith('SELECT "companies_user"."password"'))

    assert "ORDER BY" not in page(by_name) and "ORDER BY" not in page(by_id)
    assert "ORDER BY" in page(by_prefix)
    found = scim.get("Users?filter=userName+eq+%22P1%40ACME.EXAMPLE%22").json()
    assert [r["userName"] for r in found["Resources"]] == ["p1@acme.example"]


def _write(scim, method: str, path: str, body) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = scim.request(method, path, body)
    assert response.status_code in (200, 201), response.content
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_entras_create_and_manager_patch_run_a_fixed_number_of_queries(scim, catalogue, acme_admin):
    """What an initial cycle costs per user, whoever else is in the company: creating
    with every attribute (cost centre known), then the manager pass."""
    _provision(scim, 1, str(acme_admin.pk))  # the cost centres exist, the token was used
    created = []
    counts = []
    for n in range(3):
        body = entra_user(f"q{n}@acme.example", externalId=f"Q{n}")
        body[ENTERPRISE] = {"costCenter": "CC0"}
        count, sql = _write(scim, "POST", "Users", body)
        counts.append(count)
        created.append(json.loads(scim.get(f"Users?filter=userName+eq+%22q{n}%40acme.example%22").content))
    patches = []
    for resource in created:
        person = resource["Resources"][0]["id"]
        operations = [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(acme_admin.pk)}]
        patches.append(_write(scim, "PATCH", f"Users/{person}", {"schemas": [PATCH_OP], "Operations": operations}))

    # token; uniqueness; policy, profiles, cost centre; the row, the webhook subscriptions
    # its signal reads; its profiles; pending references to it; the outbox row; the log
    # write; and SAVEPOINT/RELEASE, because this test runs in a transaction (a request
    # has BEGIN/COMMIT instead, which are not counted). The rebuild's schedule read is
    # skipped in a burst once a worker is due, and Celery runs eagerly here.
    assert len(set(counts)) == 1 and counts[0] <= 12 + log_write_queries(), "\n".join(sql)
    # token; the person; the lock, the locked row, its profiles; the manager; the UPDATE;
    # the outbox row; the answer's groups; the log write; SAVEPOINT/RELEASE (as above)
    assert len({count for count, _ in patches}) == 1, patches
    assert patches[0][0] <= 11 + log_write_queries(), "\n".join(patches[0][1])
