"""One id per request: echoed in X-Request-ID, in every JSON log line of the request, on
the provisioning log entry, and carried into the Celery tasks the request enqueues."""

from __future__ import annotations

import json
import re
import time
from functools import partial
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from kombu import Connection

from approvals import tasks
from travelportal.celery import app as celery_app
from travelportal.provisioning.models import ProvisioningLogEntry

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ROOT = Path(__file__).resolve().parents[2]


def json_log_lines(capsys) -> list[dict]:
    """The JSON lines written to stderr since the last call (tests run with DEBUG off, so
    with the production formatting)."""
    lines = []
    for raw in capsys.readouterr().err.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def create_person(client, token, user_name, *, request_id=None, manager_id=None):
    body = {"schemas": [CORE], "userName": user_name, "name": {"givenName": "Pat", "familyName": "Person"}}
    if manager_id:
        body["schemas"].append(ENTERPRISE)
        body[ENTERPRISE] = {"manager": {"value": manager_id}}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if request_id:
        headers["HTTP_X_REQUEST_ID"] = request_id
    response = client.post("/scim/v2/Users", body, content_type="application/scim+json", **headers)
    assert response.status_code == 201, response.content
    return response


def test_a_new_id_is_returned_when_the_proxy_sends_none(client):
    first = client.get("/health/live")["X-Request-ID"]
    second = client.get("/health/live")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_the_proxys_id_is_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="7f3c9a1e-entra.42")

    assert response["X-Request-ID"] == "7f3c9a1e-entra.42"


@pytest.mark.parametrize("header", ["", "two words", "x" * 129, 'quote"d', "new\nline", "é"])
def test_an_id_that_is_not_sane_is_replaced(client, header):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=header)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_the_request_line_and_every_other_line_of_the_request_carry_the_id(client, capsys):
    json_log_lines(capsys)

    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="req-404")

    lines = json_log_lines(capsys)
    assert response.status_code == 404
    request_line = next(line for line in lines if line["event"] == "request")
    assert request_line == {
        "logger": "travelportal.request",
        "event": "request",
        "request_id": "req-404",
        "method": "GET",
        "path": "/no/such/page/",
        "route": "unmatched",
        "status": 404,
        "duration_ms": request_line["duration_ms"],
        "level": "info",
        "timestamp": request_line["timestamp"],
    }
    # Django's own warning, through the standard library, carries it too.
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["request_id"] == "req-404"
    assert not_found["level"] == "warning"


@pytest.mark.django_db
def test_a_scim_request_line_names_the_company(client, company, scim_token, capsys):
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim_token}")

    lines = json_log_lines(capsys)
    line = next(line for line in lines if line["event"] == "request")
    assert line["company"] == "acme"
    assert line["route"] == "scim:users"
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_the_provisioning_log_entry_stores_the_id(client, company, scim_token):
    response = create_person(client, scim_token, "pat@acme.example", request_id="entra-7b1d")

    entry = ProvisioningLogEntry.objects.get(company=company, operation="create")
    assert entry.request_id == "entra-7b1d" == response["X-Request-ID"]


@pytest.mark.django_db
def test_the_id_is_shown_in_the_activity_log(client, company, scim_token, acme_admin_client):
    create_person(client, scim_token, "pat@acme.example", request_id="entra-7b1d")

    page = acme_admin_client.get("/company/provisioning-activity/").content.decode()

    assert "entra-7b1d" in page


# Transactional: the rebuild is enqueued on commit, inside the request as in production.
@pytest.mark.django_db(transaction=True)
def test_the_id_goes_into_the_headers_of_the_tasks_the_request_enqueues(
    client, automated, scim_token, monkeypatch, settings
):
    # Published for real, to an in-memory broker of its own, as a request does with Redis.
    settings.APPROVALS_COALESCE_SECONDS = 0
    broker = Connection("memory://")
    monkeypatch.setattr(
        tasks.process_chain_changes,
        "apply_async",
        partial(tasks.process_chain_changes.apply_async, connection=broker),
    )
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    published = []

    def receiver(sender=None, headers=None, **kwargs):
        published.append((sender, dict(headers)))

    before_task_publish.connect(receiver, dispatch_uid="tests.operations.published")
    try:
        create_person(client, scim_token, "boss@acme.example", request_id="entra-boss")
    finally:
        before_task_publish.disconnect(dispatch_uid="tests.operations.published")
        broker.release()

    assert published, "the SCIM write enqueued no rebuild"
    sender, headers = published[0]
    assert sender == "approvals.process_chain_changes"
    assert headers["__django_structlog__"]["request_id"] == "entra-boss"


def read_lines_until(process, predicate, *, timeout: float = 30.0) -> list[dict]:
    """The worker's JSON lines up to the first one ``predicate`` accepts."""
    import selectors

    lines: list[dict] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if not selector.select(timeout=0.5):
            continue
        raw = process.stdout.readline()
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        lines.append(line)
        if predicate(line):
            break
    return lines


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_the_rebuild_with_the_id_of_the_request_that_enqueued_it(worker, client, automated, scim_token):
    boss = create_person(client, scim_token, "boss@acme.example", request_id="entra-rebuild-1").json()["id"]
    create_person(client, scim_token, "rep@acme.example", request_id="entra-rebuild-2", manager_id=boss)

    lines = read_lines_until(
        worker, lambda line: line.get("event") == "task_succeeded" and line.get("request_id", "").startswith("entra-")
    )

    assert worker.poll() is None, "the worker died"
    started = [line for line in lines if line.get("event") == "task_started"]
    assert started, f"no task started within 30 s; the worker said: {lines[-5:]}"
    assert started[0]["task"] == "approvals.process_chain_changes"
    assert started[0]["request_id"] in {"entra-rebuild-1", "entra-rebuild-2"}
    assert started[0]["task_id"]
