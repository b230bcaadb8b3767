"""A real ``celery -A travelportal worker`` against Redis builds the chain after SCIM requests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from functools import partial
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from approvals import tasks
from approvals.models import ApprovalProcess
from travelportal.celery import app as celery_app

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(monkeypatch, settings):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is unset: the real Celery worker test needs Redis (CI sets it)")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process must see the test database: set DATABASE_URL to PostgreSQL")
    # A queue of our own, so no other worker on this Redis takes our tasks.
    queue = f"tp-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(
        tasks.process_chain_changes, "apply_async", partial(tasks.process_chain_changes.apply_async, queue=queue)
    )
    settings.APPROVALS_COALESCE_SECONDS = 0.2
    # Tests run tasks in-process by default (tests/conftest.py); this one sends them to Redis.
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "APPROVALS_COALESCE_MS": "200",
        "DJANGO_SETTINGS_MODULE": "travelportal.settings",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "travelportal", "worker", "-Q", queue, "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-5000:])


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
