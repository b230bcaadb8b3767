"""A list of any page size and a get run a fixed number of SQL queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim.conftest import ENTERPRISE, entra_user, log_write_queries

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
