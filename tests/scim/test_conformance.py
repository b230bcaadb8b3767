"""The third-party conformance suite scim2-tester against a live server of the portal.

scim2-client ships only httpx engines (httpx is not a dependency here) and in-process
ones; ``LiveServerClient`` sends the same requests over real HTTP with the standard
library, so the portal is exercised through its whole stack.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from typing import Any
from wsgiref.headers import Headers

import pytest
from scim2_client.client import BaseSyncSCIMClient
from scim2_client.engines.inprocess import InProcessResponse, _check_base_url, _prepare_request, _stays_under_base_url
from scim2_tester import Status, check_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.conformance]

# Checks of features the portal deliberately does not offer, with the reason. Keyed by
# check title; every other check must succeed.
NOT_OFFERED: dict[str, str] = {}


class LiveServerClient(BaseSyncSCIMClient):
    def __init__(self, base_url: str, headers: dict[str, str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = _check_base_url(base_url)
        self.headers = headers

    def _stays_under_base_url(self, endpoint: str) -> bool:
        return _stays_under_base_url(self.base_url, endpoint)

    def _parse_json(self, response):
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> InProcessResponse:
        prepared = _prepare_request(self.base_url, self.headers, method, url, **kwargs)
        headers = {k: v for k, v in prepared.headers if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(
            prepared.url.geturl(), data=prepared.body or None, headers=headers, method=prepared.method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return _response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return _response(error.code, error.headers, error.read())


def _response(status: int, headers: Message, body: bytes) -> InProcessResponse:
    return InProcessResponse(status_code=status, headers=Headers(list(headers.items())), content=body)


@pytest.fixture
def live_scim(live_server, company):
    from travelportal.companies.models import InvoiceProfile, TravelPolicy
    from travelportal.tokens.services import issue_secret_token

    TravelPolicy.objects.create(company=company, name="Standard")
    InvoiceProfile.objects.create(company=company, name="Acme Ltd")
    _, raw = issue_secret_token(company=company, name="conformance")
    return LiveServerClient(f"{live_server.url}/scim/v2", {"Authorization": f"Bearer {raw}"})


def _teach_valid_dates(client: LiveServerClient) -> None:
    """dateOfBirth is a string holding a date; its schema cannot say so (RFC 7643 has no
    date type), so the suite would fill in a random string the portal rightly refuses.
    The suite uses a field's examples when it has some; give dateOfBirth one."""
    client.discover()
    for model in client.provider.models:
        field = model.model_fields.get("date_of_birth")
        if field is not None:
            field.examples = ["1985-04-12", "1990-01-31"]


def test_scim2_tester_passes_every_check_of_what_the_portal_offers(live_scim):
    _teach_valid_dates(live_scim)
    results = check_server(live_scim)
    failures = []
    for result in results:
        if result.status in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED):
            continue
        if result.title in NOT_OFFERED:
            continue
        failures.append(f"{result.status.name} {result.title} [{result.resource_type}]: {result.reason}")
    assert results
    print("\n".join(failures))
    assert not failures, "\n".join(failures)
