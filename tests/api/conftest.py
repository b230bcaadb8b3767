"""The API's test world: keys of Acme and Globex with chosen scopes, a client that sends
them, and a little of everything the API lists (cost centres, profiles, policies, a
process and a pending trip)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client


@dataclass
class Api:
    """A test client sending one credential (``Authorization`` header value) as JSON."""

    client: Client
    authorization: str | None

    def request(self, method: str, path: str, body=None, **headers):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if self.authorization is not None:
            extra["HTTP_AUTHORIZATION"] = self.authorization
        data = json.dumps(body) if body is not None else ""
        call = getattr(self.client, method.lower())
        if method.upper() == "GET":
            return call(path, **extra)
        return call(path, data=data, content_type="application/json", **extra)

    def get(self, path: str, **headers):
        return self.request("GET", path, **headers)

    def post(self, path: str, body=None, **headers):
        return self.request("POST", path, body, **headers)

    def patch(self, path: str, body=None, **headers):
        return self.request("PATCH", path, body, **headers)

    def put(self, path: str, body=None, **headers):
        return self.request("PUT", path, body, **headers)

    def delete(self, path: str, **headers):
        return self.request("DELETE", path, **headers)


def key_for(company, scopes=None, **kwargs) -> str:
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    return issue_credential(company=company, kind=Credential.Kind.API_KEY, name="tests", scopes=scopes, **kwargs)[1]


@pytest.fixture
def api_as():
    """``api_as(company, scopes)``: a client with a new key of that company."""

    def make(company, scopes=None, **kwargs) -> Api:
        return Api(Client(), f"ApiKey {key_for(company, scopes, **kwargs)}")

    return make


@pytest.fixture
def api(company, api_as) -> Api:
    """Acme's key with every API scope."""
    return api_as(company)


@pytest.fixture
def other_api(other_company, api_as) -> Api:
    """Globex's key with every API scope."""
    return api_as(other_company)


@pytest.fixture
def anonymous_api(db) -> Api:
    return Api(Client(), None)


@pytest.fixture
def world(company, acme_admin, traveller):
    """One of each thing the API serves, for Acme."""
    from approvals.services.manual_processes import save_process
    from approvals.services.trips import create_trip
    from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy
    from travelportal.provisioning.models import ProvisioningLogEntry

    centre = CostCentre.objects.create(company=company, name="Sales")
    profile = InvoiceProfile.objects.create(company=company, name="Acme GmbH", legal_name="Acme GmbH")
    policy = TravelPolicy.objects.create(company=company, name="Standard")
    process = save_process(
        company=company, name="Travellers", kind="manual", requesters=[traveller], steps=[[acme_admin]]
    )
    trip = create_trip(
        traveller=traveller,
        requested_by=traveller,
        destination="Lisbon",
        start_date=dt.date(2030, 5, 1),
        end_date=dt.date(2030, 5, 3),
        purpose="Customer visit",
        estimated_cost=Decimal("800.00"),
        currency="EUR",
    )
    event = ProvisioningLogEntry.objects.create(
        company=company,
        created_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        operation="create",
        method="POST",
        path="/scim/v2/Users",
        status=201,
        user_name="tom@acme.example",
    )
    return {
        "cost_center": centre,
        "profile": profile,
        "policy": policy,
        "process": process,
        "trip": trip,
        "event": event,
        "admin": acme_admin,
        "traveller": traveller,
    }


def assert_problem(response, status: int, **members) -> dict:
    """The response is an RFC 9457 problem with this status (and these members)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    for key, value in members.items():
        assert body[key] == value, body
    return body
