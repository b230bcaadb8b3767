"""A database outage answers every SCIM request with 503, an RFC 7644 §3.12 body and
Retry-After, the token check included (the fault suite in tests/faults/ does it for real)."""

from __future__ import annotations

import inspect
from unittest import mock

import psycopg
import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django_scim.views import SCIMView

from scim import views
from scim.outages import DatabaseOutageAnswer
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.tokens.models import Credential

from .conftest import CORE

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def database_down():
    """Every new cursor fails as when PostgreSQL refuses connections."""
    return mock.patch.object(
        BaseDatabaseWrapper,
        "ensure_connection",
        side_effect=OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused'),
    )


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == "503"
    assert "temporarily unavailable" in body["detail"]
    assert "Connection refused" not in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "Users", None),
        ("GET", "Users/8a7c8d1c-2a8b-4a2f-9d55-5f8b7b2f0c11", None),
        ("POST", "Users", {"schemas": [CORE], "userName": "new@acme.example"}),
        ("PATCH", "Users/8a7c8d1c-2a8b-4a2f-9d55-5f8b7b2f0c11", {"schemas": [CORE], "Operations": []}),
        ("DELETE", "Users/8a7c8d1c-2a8b-4a2f-9d55-5f8b7b2f0c11", None),
        ("GET", "Groups", None),
        ("POST", "Users/.search", {"filter": 'userName eq "a"'}),
        ("GET", "ServiceProviderConfig", None),
        ("GET", "Schemas", None),
    ],
)
def test_it_answers_503_when_the_token_check_cannot_reach_the_database(scim, method, path, body):
    with database_down():
        response = scim.request(method, path, body)

    assert_unavailable(response)


def test_it_answers_503_when_the_view_loses_the_database(scim, acme_admin):
    before = ProvisioningLogEntry.objects.count()
    with mock.patch.object(views.UsersView, "get_many", side_effect=OperationalError("server closed the connection")):
        response = scim.get("Users")

    assert_unavailable(response)
    # No provisioning log write was tried against a database known to be down.
    assert ProvisioningLogEntry.objects.count() == before


@pytest.mark.parametrize(
    "error",
    [
        InterfaceError("connection already closed"),
        psycopg.OperationalError("terminating connection due to administrator command"),
        psycopg.InterfaceError("the connection is closed"),
    ],
)
def test_every_kind_of_lost_connection_is_a_503(scim, error):
    with mock.patch.object(views.UsersView, "post", side_effect=error):
        response = scim.post("Users", {"schemas": [CORE], "userName": "new@acme.example"})

    assert_unavailable(response)


def test_an_unexpected_error_still_answers_a_scim_500_without_retry_after(scim):
    with mock.patch.object(views.UsersView, "get_many", side_effect=RuntimeError("boom")):
        response = scim.get("Users")

    assert response.status_code == 500
    assert response.json()["schemas"] == [ERROR]
    assert not response.has_header("Retry-After")


def test_a_provisioning_log_failure_after_a_done_request_keeps_its_answer(scim, caplog):
    with mock.patch("scim.authentication.record_scim_request", side_effect=OperationalError("gone")):
        response = scim.get("Users")

    assert response.status_code == 200
    assert "the database is unavailable" in caplog.text


def test_requests_succeed_again_once_the_database_is_back(scim):
    with database_down():
        assert scim.get("Users").status_code == 503

    response = scim.get("Users")

    assert response.status_code == 200
    assert Credential.objects.filter(last_used_at__isnull=False).exists()


def test_every_scim_view_answers_outages_inside_django_scim2s_catch_all():
    # DatabaseOutageAnswer works only where super(SCIMView, self).dispatch reaches it.
    for name, cls in inspect.getmembers(views, inspect.isclass):
        if issubclass(cls, SCIMView):
            mro = cls.__mro__
            assert mro[mro.index(SCIMView) + 1] is DatabaseOutageAnswer, name
