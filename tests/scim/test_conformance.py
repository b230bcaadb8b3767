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

# Checks the portal deliberately fails, each with the reason; every other check must
# succeed. Keyed by (check title, attribute path the check names in its reason).
NOT_OFFERED: dict[tuple[str, str], str] = {
    ("check_remove_attribute", "'active'"): (
        "a person is always active or not: removing active leaves the default, true, "
        "since there is no 'unknown' state to sign in with"
    ),
}

# Sub-attributes the portal sets itself; the suite compares PATCH results field by field,
# so a value it sent as None (or another primary flag) counts as a difference.
SERVER_SET = {
    "primary": "one work email and one work phone number are stored, always the primary one",
    "display_name": "the manager's displayName is filled in (read-only), as Entra reads it back",
    "schemas": "extension objects carry no schemas key in a resource (RFC 7643 §3.3)",
}

# model_dump spells them by alias.
SERVER_SET_KEYS = {*SERVER_SET, "displayName"}


def _without_server_set(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: _without_server_set(v) for k, v in value.items() if k not in SERVER_SET_KEYS}
    if isinstance(value, list):
        return [_without_server_set(v) for v in value]
    return value


def _tolerated(result) -> bool:
    if any(result.title == title and attr in (result.reason or "") for title, attr in NOT_OFFERED):
        return True
    data = result.data if isinstance(result.data, dict) else {}
    if "expected" not in data:
        return False
    actual = data.get("modify_actual", data.get("actual"))
    return _without_server_set(data["expected"]) == _without_server_set(actual)


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
        if _tolerated(result):
            continue
        failures.append(f"{result.status.name} {result.title} [{result.resource_type}]: {result.reason}")
    succeeded = [r for r in results if r.status == Status.SUCCESS]
    # The CRUD and PATCH checks of User ran, not only discovery.
    assert len(succeeded) > 30 and any(r.resource_type == "User" for r in succeeded)
    assert not failures, "\n".join(failures)
