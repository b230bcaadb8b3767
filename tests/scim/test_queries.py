"""A list of any page size and a get run a fixed number of SQL queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim.conftest import ENTERPRISE, entra_user

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
    large, large_sql = _count(scim, "Users", {"count": 100})
    filtered, filtered_sql = _count(scim, "Users", {"filter": 'userName sw "p"', "count": 100})

    # token lookup, COUNT, page, invoice profiles and groups prefetches, provisioning log INSERT
    assert small == large == filtered <= 6, "\n\n".join([*small_sql, "--", *large_sql, "--", *filtered_sql])
    assert any("COUNT(" in sql.upper() for sql in large_sql), "\n".join(large_sql)


def test_a_get_runs_a_fixed_number_of_queries(scim, created, acme_admin):
    scim.patch(f"Users/{created['id']}", [{"op": "add", "path": "manager", "value": str(acme_admin.pk)}])

    count, sql = _count(scim, f"Users/{created['id']}")

    # token lookup, the person with manager/cost centre/policy, invoice profiles, groups, log INSERT
    assert count <= 5, "\n".join(sql)


def test_a_list_never_counts_by_iterating_rows(scim, catalogue, acme_admin):
    _provision(scim, 3, str(acme_admin.pk))

    _, sql = _count(scim, "Users", {"count": 1})

    page_queries = [s for s in sql if s.startswith('SELECT "companies_user"."password"')]
    assert len(page_queries) == 1, "\n".join(sql)
    assert "LIMIT 1" in page_queries[0], "\n".join(sql)
