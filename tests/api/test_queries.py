"""Every list runs the same number of SQL queries for 1 row as for 20, by offset and by
cursor; a failure prints the SQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.operations import LISTS

pytestmark = pytest.mark.django_db


def _person(company, n: int, **fields):
    from travelportal.companies.models import User

    return User.objects.create_user(
        f"p{n}-{timezone.now().timestamp()}@acme.example", None, company=company, given_name=f"P{n}", **fields
    )


def grow(envelope: str, world: dict, count: int) -> None:
    """Bring the list ``envelope`` of Acme to at least ``count`` rows, each with the
    relations the list shows."""
    from approvals.services.manual_processes import save_process
    from approvals.services.trips import create_trip
    from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy
    from travelportal.provisioning.models import ProvisioningLogEntry

    company, admin = world["admin"].company, world["admin"]
    for n in range(count):
        if envelope == "cost_centers":
            centre = CostCentre.objects.create(company=company, name=f"CC {n}")
            _person(company, n, cost_centre=centre)
        elif envelope == "profiles":
            InvoiceProfile.objects.create(company=company, name=f"Profile {n}")
        elif envelope == "users":
            _person(company, n)
        elif envelope == "travel_policies":
            TravelPolicy.objects.create(company=company, name=f"Policy {n}")
        elif envelope == "approval_processes":
            person = _person(company, n)
            save_process(company=company, name=f"P {n}", kind="manual", requesters=[person], steps=[[admin]])
        elif envelope in ("trips", "approvals"):
            create_trip(
                traveller=world["traveller"],
                requested_by=world["traveller"],
                destination=f"City {n}",
                start_date=dt.date(2030, 6, 1),
                end_date=dt.date(2030, 6, 2),
                purpose="Work",
                estimated_cost=Decimal("10.00"),
                currency="EUR",
            )
        elif envelope == "provisioning_events":
            ProvisioningLogEntry.objects.create(
                company=company, created_at=timezone.now(), operation="update", status=200, user_name=f"p{n}"
            )


def _queries(api, path: str) -> tuple[int, list[str], dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(queries), [q["sql"] for q in queries.captured_queries], response.json()


@pytest.mark.parametrize(
    "paging",
    [
        pytest.param("?limit=50", id="offset"),
        # A cursor shows committed changes only (travelportal.companies.changes): the
        # rows are written in transactions of their own, as requests would.
        pytest.param("?cursor=", id="cursor", marks=pytest.mark.django_db(transaction=True)),
    ],
)
@pytest.mark.parametrize("op", LISTS, ids=[op.envelope for op in LISTS])
def test_a_list_runs_the_same_queries_for_1_row_and_for_20(op, paging, world, api):
    path = op.path(world) + paging
    api.get(path)  # The key's first use writes last_used_at once; count the steady state.
    one, one_sql, body = _queries(api, path)
    assert len(body[op.envelope]) >= 1
    grow(op.envelope, world, 20)
    many, many_sql, body = _queries(api, path)
    assert len(body[op.envelope]) >= 20
    assert one == many, "\n".join(["-- 1 row", *one_sql, "-- 20 rows", *many_sql])
