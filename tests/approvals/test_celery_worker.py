"""A real ``celery -A travelportal worker`` against Redis builds the chain after SCIM requests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from approvals.models import ApprovalProcess

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def wait_for(predicate, *, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_a_running_worker_builds_the_chain_after_scim_requests(worker, client, automated, scim_token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scim_token}"}

    def create(user_name, manager_id=None):
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": True,
                "name": {"givenName": user_name.split("@")[0].capitalize(), "familyName": "Test"}}  # fmt: skip
        if manager_id:
            body["schemas"].append(ENTERPRISE)
            body[ENTERPRISE] = {"manager": {"value": manager_id}}
        response = client.post("/scim/v2/Users", body, content_type="application/scim+json", **headers)
        assert response.status_code == 201, response.content
        return response.json()["id"]

    boss = create("boss@acme.example")
    reports = {create(f"r{n}@acme.example", boss) for n in range(3)}

    def chain_built():
        process = ApprovalProcess.objects.filter(kind="automatic", owner_id=boss).first()
        if process is None:
            return None
        requesters = {str(pk) for pk in process.requesters.values_list("pk", flat=True)}
        return process if requesters == reports else None

    process = wait_for(chain_built)
    assert worker.poll() is None, "the worker died"
    assert process is not None, "no automatic process appeared within 30 seconds"
    assert [[str(u.pk) for u in step.approvers.all()] for step in process.steps.all()] == [[boss]]
