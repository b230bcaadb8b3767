"""schemathesis against the published schema on a live server: generated requests to every
operation, sent over HTTP with an API key of every scope, never answer 5xx and never
answer what the schema does not describe (status code, content type, body)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 12
# Operations whose answers are known not to match their schema yet, with why. Each other
# operation must pass every check.
KNOWN: dict[str, str] = {}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def data(company, acme_admin, traveller):
    from approvals.services.manual_processes import save_process
    from approvals.services.trips import create_trip
    from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy

    CostCentre.objects.create(company=company, name="Sales")
    InvoiceProfile.objects.create(company=company, name="Acme GmbH")
    TravelPolicy.objects.create(company=company, name="Standard", max_trip_cost=Decimal("1000"))
    save_process(company=company, name="Travellers", kind="manual", requesters=[traveller], steps=[[acme_admin]])
    create_trip(
        traveller=traveller,
        requested_by=traveller,
        destination="Lisbon",
        start_date=dt.date(2030, 5, 1),
        end_date=dt.date(2030, 5, 3),
        purpose="Customer visit",
        estimated_cost=Decimal("800.00"),
        currency="EUR",
    )


def test_no_generated_request_breaks_the_server_or_the_schema(live_server, company, data):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, raw = issue_credential(company=company, kind=Credential.Kind.API_KEY, name="schemathesis")
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    headers = {"Authorization": f"ApiKey {raw}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # Every operation runs; failures are listed at the end.
            if operation.label not in KNOWN:
                failures.append(f"{operation.label}: {exc}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
