"""Pages during a database outage: a plain 503 page with Retry-After, rendered without
touching the database, whether the view, a template or another middleware met it; and
the connection settings that let the portal recover without a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import reverse

from travelportal import env
from travelportal.outages import DATABASE_OUTAGE_ERRORS, outage_page, server_error

BASE_DIR = Path(__file__).resolve().parents[2]


def database_down():
    return mock.patch.object(
        BaseDatabaseWrapper, "ensure_connection", side_effect=OperationalError("Connection refused")
    )


def assert_outage_page(response):
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"
    assert "Temporarily unavailable" in response.content.decode()


@pytest.mark.django_db
def test_a_signed_in_page_answers_the_503_page_when_the_database_is_down(acme_admin_client):
    with database_down():
        response = acme_admin_client.get(reverse("companysettings:scim"))

    assert_outage_page(response)


@pytest.mark.django_db
def test_pages_work_again_as_soon_as_the_database_is_back(acme_admin_client):
    with database_down():
        assert acme_admin_client.get(reverse("companysettings:scim")).status_code == 503

    assert acme_admin_client.get(reverse("companysettings:scim")).status_code == 200


@pytest.mark.django_db
def test_an_outage_met_while_rendering_a_template_answers_the_503_page(acme_admin_client, monkeypatch):
    def lost(request):
        raise OperationalError("server closed the connection unexpectedly")

    engine = engines["django"].engine
    monkeypatch.setattr(engine, "template_context_processors", (*engine.template_context_processors, lost))

    response = acme_admin_client.get(reverse("companysettings:scim"))

    assert_outage_page(response)


class SessionSaveFails:
    """A middleware meeting the outage itself, outside the view (as a session save does)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("terminating connection due to administrator command")


@pytest.mark.django_db
def test_an_outage_met_by_another_middleware_answers_the_503_page(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.foundation.test_outages.SessionSaveFails"]

    # Not re-raised by the test client: the answer Django gives a real client is wanted.
    response = Client(raise_request_exception=False).get(reverse("accounts:login"))

    assert_outage_page(response)


def test_the_503_page_is_rendered_without_any_database_query():
    # No django_db mark (pytest-django refuses any query) and every connection refused.
    with database_down():
        response = outage_page()

    assert_outage_page(response)


def test_the_500_handler_keeps_djangos_answer_for_other_errors():
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)

    assert response.status_code == 500
    assert not response.has_header("Retry-After")


def test_the_500_handler_answers_503_for_a_database_outage():
    request = RequestFactory().get("/")
    try:
        raise DATABASE_OUTAGE_ERRORS[-1]("the connection is closed")
    except DATABASE_OUTAGE_ERRORS:
        response = server_error(request)

    assert_outage_page(response)


def test_persistent_connections_are_health_checked_before_reuse():
    config = env.env_database("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")

    assert config["CONN_MAX_AGE"] > 0
    assert config["CONN_HEALTH_CHECKS"] is True


PROBE = """
import json, django
django.setup()
from django.conf import settings
print("PROBE" + json.dumps({
    "options": settings.DATABASES["default"].get("OPTIONS", {}),
    "transport": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "reject_on_worker_lost": settings.CELERY_TASK_REJECT_ON_WORKER_LOST,
    "sweep": settings.CELERY_BEAT_SCHEDULE["approvals-sweep-chain-changes"]["schedule"],
}))
"""


def probe(**environ: str) -> dict:
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "travelportal.settings", "DEBUG": "1", **environ}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.removeprefix("PROBE"))


def test_an_unreachable_postgresql_is_given_up_on_in_seconds_not_waited_for():
    assert probe(DATABASE_URL="postgres://postgres@10.255.255.1:5432/x")["options"]["connect_timeout"] == 3
    assert probe(DATABASE_URL="postgres://p@h:5432/x?connect_timeout=9")["options"]["connect_timeout"] == 9


def test_a_lost_task_is_redone_within_30_seconds_and_a_publish_gives_up_at_once():
    settings = probe(REDIS_URL="redis://127.0.0.1:6379/0")

    assert settings["reject_on_worker_lost"] is True
    # Sweep interval plus the age a change must reach before the sweep takes it.
    from approvals.tasks import SWEEP_AFTER

    assert settings["sweep"] + SWEEP_AFTER.total_seconds() <= 30
    assert settings["transport"]["max_retries"] == 0
    assert settings["transport"]["socket_connect_timeout"] <= 0.1
