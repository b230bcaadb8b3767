"""/metrics: off without METRICS_TOKEN or METRICS_ALLOWED_IPS, refused without the token,
and counting what operators watch (requests by route, SCIM by company and outcome, 429s,
Celery tasks, the outbox, chain rebuilds)."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.utils import timezone

from approvals.models import PendingChainChange
from approvals.services.chain_rebuilds import repair_approval_processes
from approvals.tasks import sweep_chain_changes

from .conftest import METRICS_TOKEN, sample, scrape

pytestmark = pytest.mark.django_db

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_metrics_are_off_and_the_path_a_404_without_a_token_or_addresses(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": f"Basic {METRICS_TOKEN}"}],
    ids=["no token", "wrong token", "other scheme"],
)
def test_metrics_are_refused_without_the_token(client, metrics_on, headers):
    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"travelportal_" not in response.content


def test_the_token_gets_the_prometheus_text_format(client, metrics_on):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE travelportal_http_requests_total counter" in response.content


def test_an_allowed_address_needs_no_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = [ip_network("10.0.0.0/8")]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 401
    # A forwarded-for header is whatever the client wrote.
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 401


def test_metrics_refuse_other_methods(client, metrics_on):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").status_code == 405


def test_a_scim_request_is_counted_by_company_method_and_outcome(client, metrics_on, company, scim_token):
    labels = {"company": "acme", "method": "POST", "outcome": "success"}
    before = scrape(client)

    response = client.post(
        "/scim/v2/Users",
        {"schemas": [CORE], "userName": "new@acme.example"},
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )

    assert response.status_code == 201
    after = scrape(client)
    assert sample(after, "travelportal_scim_operations_total", **labels) == (
        sample(before, "travelportal_scim_operations_total", **labels) + 1
    )
    route = {"route": "scim:users", "status": "201"}
    assert sample(after, "travelportal_http_requests_total", **route) == (
        sample(before, "travelportal_http_requests_total", **route) + 1
    )


def test_requests_are_labelled_by_route_name_not_path(client, metrics_on, company, scim_token):
    before = scrape(client)

    client.get("/scim/v2/Users/8a7c8d1c-2a8b-4a2f-9d55-5f8b7b2f0c11", HTTP_AUTHORIZATION=f"Bearer {scim_token}")
    client.get("/no/such/page/")

    after = scrape(client)
    for labels in ({"route": "scim:users", "status": "404"}, {"route": "unmatched", "status": "404"}):
        assert sample(after, "travelportal_http_requests_total", **labels) == (
            sample(before, "travelportal_http_requests_total", **labels) + 1
        )
    assert not any("8a7c8d1c" in str(labels) for _, labels in after)


def test_a_refused_token_is_counted_without_a_company(client, metrics_on):
    labels = {"company": "", "method": "GET", "outcome": "unauthorized"}
    before = scrape(client)

    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer nope").status_code == 401

    assert sample(scrape(client), "travelportal_scim_operations_total", **labels) == (
        sample(before, "travelportal_scim_operations_total", **labels) + 1
    )


def test_429s_are_counted(client, metrics_on, company, scim_token, settings):
    settings.SCIM_RATE_LIMIT_PER_SECOND = 1
    settings.SCIM_RATE_LIMIT_BURST = 1
    before = scrape(client)

    statuses = [client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim_token}").status_code for _ in range(3)]

    assert statuses == [200, 429, 429]
    after = scrape(client)
    limited = {"route": "scim:users", "company": "acme"}
    assert sample(after, "travelportal_rate_limited_requests_total", **limited) == (
        sample(before, "travelportal_rate_limited_requests_total", **limited) + 2
    )
    throttled = {"company": "acme", "method": "GET", "outcome": "throttled"}
    assert sample(after, "travelportal_scim_operations_total", **throttled) == (
        sample(before, "travelportal_scim_operations_total", **throttled) + 2
    )


def test_celery_tasks_are_counted_and_timed(client, metrics_on):
    task = {"task": "approvals.sweep_chain_changes"}
    before = scrape(client)

    sweep_chain_changes.delay()

    after = scrape(client)
    assert sample(after, "travelportal_celery_tasks_total", **task, state="SUCCESS") == (
        sample(before, "travelportal_celery_tasks_total", **task, state="SUCCESS") + 1
    )
    assert sample(after, "travelportal_celery_task_duration_seconds_count", **task) == (
        sample(before, "travelportal_celery_task_duration_seconds_count", **task) + 1
    )


def test_chain_rebuilds_are_timed(client, metrics_on, company):
    before = scrape(client)

    repair_approval_processes(company=company)

    after = scrape(client)
    name = "travelportal_chain_rebuild_duration_seconds_count"
    assert sample(after, name, scope="full") == sample(before, name, scope="full") + 1


def test_the_outbox_depth_and_age_are_read_at_scrape_time(client, metrics_on, company):
    assert sample(scrape(client), "travelportal_chain_outbox_waiting_changes") == 0
    assert sample(scrape(client), "travelportal_chain_outbox_oldest_age_seconds") == 0
    for _ in range(2):
        PendingChainChange.objects.create(company=company, user_id=None)
    PendingChainChange.objects.update(created_at=timezone.now() - timedelta(seconds=90))

    samples = scrape(client)

    assert sample(samples, "travelportal_chain_outbox_waiting_changes") == 2
    assert 90 <= sample(samples, "travelportal_chain_outbox_oldest_age_seconds") < 120
