"""The embedded default (no Redis, so no worker) coalesces chain rebuilds too: a burst of
SCIM writes leaves its changes in the outbox and one rebuild, in a thread of the web
process, takes them all after the coalescing delay, instead of a rebuild inside every
write."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from approvals.models import ApprovalProcess, PendingChainChange, ScheduledRebuild
from approvals.services import chain_rebuilds

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_burst_of_writes_is_rebuilt_once_in_the_background(client, automated, scim_token, monkeypatch):
    rebuilds = []
    original = chain_rebuilds.process_pending_chain_changes

    def counted(*, company_id):
        result = original(company_id=company_id)
        rebuilds.append(result)
        return result

    monkeypatch.setattr(chain_rebuilds, "process_pending_chain_changes", counted)
    monkeypatch.setattr("approvals.tasks.process_pending_chain_changes", counted)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scim_token}"}

    def create(user_name, manager_id=None):
        body = {"schemas": [CORE, ENTERPRISE], "userName": user_name, "active": True}
        if manager_id:
            body[ENTERPRISE] = {"manager": manager_id}
        response = client.post("/scim/v2/Users", body, content_type="application/scim+json", **headers)
        assert response.status_code == 201, response.content
        return response.json()["id"]

    with override_settings(APPROVALS_REBUILD_IN_THREAD=True, APPROVALS_COALESCE_SECONDS=0.5):
        boss = create("boss@acme.example")
        reports = [create(f"report{n}@acme.example", boss) for n in range(4)]

        # Answered before any rebuild: the changes wait in the outbox, one rebuild is due.
        assert PendingChainChange.objects.filter(company=automated).count() == 5
        assert ScheduledRebuild.objects.filter(company=automated).count() == 1
        assert not ApprovalProcess.objects.filter(company=automated, kind="automatic").exists()

        assert _wait_for(lambda: not PendingChainChange.objects.filter(company=automated).exists())
    process = ApprovalProcess.objects.get(company=automated, kind="automatic")
    assert str(process.owner_id) == boss
    assert sorted(str(pk) for pk in process.requesters.values_list("pk", flat=True)) == sorted(reports)
    assert len(rebuilds) == 1


def test_without_the_thread_a_write_is_rebuilt_as_it_returns(client, automated, scim_token):
    """What tests and a broker-less worker see: the eager task runs with the write."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scim_token}"}
    body = {"schemas": [CORE], "userName": "boss@acme.example", "active": True}
    boss = client.post("/scim/v2/Users", body, content_type="application/scim+json", **headers).json()["id"]
    body = {"schemas": [CORE, ENTERPRISE], "userName": "rita@acme.example", ENTERPRISE: {"manager": boss}}
    client.post("/scim/v2/Users", body, content_type="application/scim+json", **headers)

    assert not PendingChainChange.objects.filter(company=automated).exists()
    assert ApprovalProcess.objects.filter(company=automated, kind="automatic", owner_id=boss).exists()
