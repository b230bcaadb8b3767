"""The provisioning log: one row per SCIM request, nothing secret in it."""

from __future__ import annotations

import pytest

from tests.scim.conftest import entra_user, log_write_queries
from travelportal.provisioning.models import ProvisioningLogEntry

pytestmark = pytest.mark.django_db


def _last() -> ProvisioningLogEntry:
    return ProvisioningLogEntry.objects.order_by("-id").first()


def test_each_request_is_logged_with_its_operation(scim, catalogue, company):
    body = entra_user(password="Sup3r-secret!")
    ann = scim.post("Users", body).json()
    entry = _last()
    assert (entry.company, entry.operation, entry.method, entry.status) == (company, "create", "POST", 201)
    assert str(entry.user_id) == ann["id"] and entry.user_name == ann["userName"]
    assert entry.path == "/scim/v2/Users"
    assert entry.duration_ms is not None
    assert entry.request_body["userName"] == ann["userName"]
    assert "Sup3r-secret!" not in str(entry.request_body)

    scim.patch(f"Users/{ann['id']}", [{"op": "replace", "path": "active", "value": "False"}])
    assert _last().operation == "disable"
    scim.patch(f"Users/{ann['id']}", [{"op": "replace", "path": "active", "value": True}])
    assert _last().operation == "enable"
    scim.patch(f"Users/{ann['id']}", [{"op": "replace", "path": "title", "value": "X"}])
    assert _last().operation == "update"
    scim.get(f"Users/{ann['id']}")
    assert (_last().operation, _last().method, _last().request_body) == ("read", "GET", None)
    scim.delete(f"Users/{ann['id']}")
    assert (_last().operation, _last().status, str(_last().user_id)) == ("delete", 204, ann["id"])
    assert ProvisioningLogEntry.objects.filter(company=company).count() == 6


def test_errors_are_logged_with_scim_type_and_detail(scim, catalogue):
    body = entra_user()
    body["urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"]["travelPolicy"] = "Gold"

    scim.post("Users", body)

    entry = _last()
    assert (entry.status, entry.scim_type, entry.operation) == (400, "invalidValue", "create")
    assert "Gold" in entry.detail
    assert entry.user_id is None and entry.user_name == body["userName"]
    assert entry.is_error


def test_the_authorization_header_is_never_stored(scim, scim_token, catalogue):
    scim.post("Users", entra_user())

    assert scim_token not in str(list(ProvisioningLogEntry.objects.values()))


def test_unauthenticated_requests_have_no_company_and_are_not_logged(anonymous_scim, company):
    anonymous_scim.get("Users")

    assert not ProvisioningLogEntry.objects.exists()


def test_each_company_sees_only_its_own_log(scim, other_scim, company, other_company):
    scim.get("Users")
    other_scim.get("Users")

    assert ProvisioningLogEntry.objects.for_company(company).count() == 1
    assert ProvisioningLogEntry.objects.for_company(other_company).count() == 1


def test_logging_is_a_single_insert(scim, django_assert_max_num_queries, catalogue):
    from travelportal.provisioning.services import record_scim_request

    with django_assert_max_num_queries(log_write_queries()):
        record_scim_request(
            company=catalogue["policy"].company_id,
            operation="read",
            method="GET",
            path="/scim/v2/Users",
            status=200,
            request_body={"password": "x", "nested": [{"token": "y"}]},
        )
    assert _last().request_body == {"password": "[removed]", "nested": [{"token": "[removed]"}]}
