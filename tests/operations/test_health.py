"""/health/ reports each dependency, healthy or not with the reason, as JSON for probes
(200 or 503) and as a page for people; /health/live touches nothing."""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from approvals.models import PendingChainChange

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
# Nothing listens on port 1: a refused connection, as when Redis is down.
REDIS_DOWN = "redis://127.0.0.1:1/0"


def database_down():
    return mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=OperationalError("Connection refused")
    )


@pytest.fixture
def embedded(settings):
    """Tasks in-process, no Redis: only the database, migrations and the outbox are checked."""
    settings.REDIS_URL = None


def test_it_answers_200_and_every_check_healthy(client, embedded):
    response = client.get("/health/", **JSON)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "healthy"
    assert set(body["checks"]) == {"database", "migrations", "approval_outbox"}
    assert all(check["healthy"] and check["reason"] is None for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_reports_the_database_down_as_unhealthy_with_the_reason(client, embedded):
    with database_down():
        response = client.get("/health/", **JSON)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {"healthy": False, "reason": "Connection refused", "seconds": mock.ANY}


def test_it_reports_redis_down_as_unhealthy_with_the_reason(client, settings):
    settings.REDIS_URL = REDIS_DOWN

    response = client.get("/health/", **JSON)

    assert response.status_code == 503
    redis = response.json()["checks"]["redis"]
    assert redis["healthy"] is False
    assert redis["reason"] == "Unable to connect to Redis: Connection Error"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is unset (CI sets it)")
def test_it_reports_a_reachable_redis_as_healthy(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]

    response = client.get("/health/", **JSON)

    assert response.json()["checks"]["redis"] == {"healthy": True, "reason": None, "seconds": mock.ANY}


def test_it_reports_no_worker_answering_as_unhealthy_with_the_reason(client, settings):
    # Nobody consumes this broker's broadcasts: Redis of the test run, or the in-memory
    # transport without REDIS_URL.
    settings.REDIS_URL = os.environ.get("REDIS_URL") or REDIS_DOWN

    response = client.get("/health/", **JSON)

    assert response.status_code == 503
    worker = response.json()["checks"]["celery_worker"]
    assert worker["healthy"] is False
    assert worker["reason"] == "no Celery worker answered a ping within 1 s"


def test_it_reports_a_reachable_worker_as_healthy(client, settings):
    settings.REDIS_URL = os.environ.get("REDIS_URL") or REDIS_DOWN
    with mock.patch("celery.app.control.Control.ping", return_value=[{"celery@web1": {"ok": "pong"}}]):
        response = client.get("/health/", **JSON)

    assert response.json()["checks"]["celery_worker"]["healthy"] is True


def test_it_reports_an_old_waiting_outbox_change_as_unhealthy(client, embedded, company, settings):
    settings.HEALTH_OUTBOX_MAX_AGE_SECONDS = 120
    change = PendingChainChange.objects.create(company=company, user_id=None)
    PendingChainChange.objects.filter(pk=change.pk).update(created_at=timezone.now() - timedelta(seconds=300))

    response = client.get("/health/", **JSON)

    assert response.status_code == 503
    outbox = response.json()["checks"]["approval_outbox"]
    assert outbox["healthy"] is False
    assert outbox["reason"].startswith("the oldest waiting change is 300 s old (more than 120 s)")


def test_a_change_waiting_less_than_the_threshold_is_healthy(client, embedded, company):
    PendingChainChange.objects.create(company=company, user_id=None)

    response = client.get("/health/", **JSON)

    assert response.status_code == 200, response.content
    assert response.json()["checks"]["approval_outbox"]["healthy"] is True


def test_unapplied_migrations_are_unhealthy(client, embedded):
    from django.db.migrations.executor import MigrationExecutor

    from travelportal.operations import health

    plan = [(SimpleNamespace(app_label="approvals", name="0099_new"), False)]
    with (
        mock.patch.object(health, "_migrations_applied", False),
        mock.patch.object(MigrationExecutor, "migration_plan", return_value=plan),
    ):
        response = client.get("/health/", **JSON)

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["reason"] == "1 migrations not applied: approvals.0099_new"


def test_people_get_a_status_page_naming_each_check(client, embedded):
    with database_down():
        response = client.get("/health/", HTTP_ACCEPT="text/html")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Database" in page
    assert "Connection refused" in page


def test_liveness_touches_neither_the_database_nor_redis(client, settings, django_assert_num_queries):
    settings.REDIS_URL = REDIS_DOWN
    with django_assert_num_queries(0), database_down():
        response = client.get("/health/live")

    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_liveness_refuses_other_methods(client):
    assert client.post("/health/live").status_code == 405


def test_health_refuses_other_methods(client, embedded):
    assert client.post("/health/", **JSON).status_code == 405
