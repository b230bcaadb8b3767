"""/api/webhooks in TravelPerk's shapes: create (secret shown once), list envelope,
retrieve, PATCH, DELETE, test, events, the delivery log; 409 on a duplicate URL; scopes,
another company's subscription (404), no credential (401), wrong method (405)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.webhooks.conftest import api_with_scopes
from travelportal.webhooks.events import EVENTS
from travelportal.webhooks.models import Delivery, Subscription
from travelportal.webhooks.subscriptions import create_subscription

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def body(response):
    return json.loads(response.content)


def test_it_creates_a_subscription_and_shows_the_secret_once(api, company, receiver):
    response = api.post(
        "/api/webhooks",
        {"name": "ERP", "url": receiver.url, "events": ["trip.created", "user.provisioned"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    created = body(response)
    subscription = Subscription.objects.get(pk=created["id"])
    assert subscription.company == company
    assert subscription.events == ["trip.created", "user.provisioned"]
    assert created["secret"] == subscription.secret
    assert created["secret"].startswith("whsec_")
    assert created["successfully_sent"] == created["failed_sent"] == 0
    assert created["enabled"] is True
    shown = body(api.get(f"/api/webhooks/{subscription.pk}"))
    assert "secret" not in shown
    assert shown["name"] == "ERP"
    assert all("secret" not in item for item in body(api.get("/api/webhooks"))["webhooks"])


def test_it_keeps_a_secret_the_integrator_chose(api, receiver):
    response = api.post(
        "/api/webhooks",
        {"name": "ERP", "url": receiver.url, "events": ["trip.created"], "secret": "my own secret"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Subscription.objects.get().secret == "my own secret"


def test_a_second_subscription_to_the_same_url_is_a_conflict(api, subscription, receiver):
    same_url = receiver.url.replace("http://", "HTTP://")

    response = api.post("/api/webhooks", {"name": "Again", "url": same_url, "events": ["trip.created"]}, format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert "already has a webhook subscription" in body(response)["detail"]
    assert Subscription.objects.count() == 1


def test_patching_to_another_subscriptions_url_is_a_conflict(api, company, subscription, receiver):
    other = create_subscription(company=company, name="Other", url=receiver.url + "/other", events=["trip.created"])

    response = api.patch(f"/api/webhooks/{other.pk}", {"url": receiver.url}, format="json")

    assert response.status_code == 409
    other.refresh_from_db()
    assert other.url == receiver.url + "/other"


def test_the_same_url_in_another_company_is_no_conflict(other_api, subscription, receiver):
    response = other_api.post(
        "/api/webhooks", {"name": "Theirs", "url": receiver.url, "events": ["trip.created"]}, format="json"
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "url": "http://127.0.0.1/x", "events": ["trip.created"]}, "name"),
        ({"name": "ERP", "url": "ftp://127.0.0.1/x", "events": ["trip.created"]}, "url"),
        ({"name": "ERP", "url": "http://127.0.0.1/x", "events": []}, "events"),
        ({"name": "ERP", "url": "http://127.0.0.1/x", "events": ["invoice.issued"]}, "events"),
        ({"name": "ERP", "url": "http://127.0.0.1/x", "events": ["trip.created"], "secret": "short"}, "secret"),
        ({"name": "Bad\nname", "url": "http://127.0.0.1/x", "events": ["trip.created"]}, "name"),
        ({"name": "ERP", "url": "http://169.254.169.254/latest/meta-data/", "events": ["trip.created"]}, "url"),
    ],
)
def test_invalid_input_is_a_problem_naming_the_field_and_nothing_is_written(api, data, field):
    response = api.post("/api/webhooks", data, format="json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert field in {error["field"] for error in body(response)["errors"]}
    assert not Subscription.objects.exists()


def test_the_list_is_in_travelperks_envelope_and_only_the_callers(api, company, other_company, subscription, receiver):
    create_subscription(company=other_company, name="Theirs", url=receiver.url, events=["trip.created"])

    response = api.get("/api/webhooks")

    assert response.status_code == 200
    document = body(response)
    assert {key: document[key] for key in ("total", "offset", "limit")} == {"total": 1, "offset": 0, "limit": 50}
    assert [item["id"] for item in document["webhooks"]] == [str(subscription.pk)]
    assert document["webhooks"][0]["events"] == list(EVENTS)
    assert set(document["webhooks"][0]) >= {"successfully_sent", "failed_sent", "error_rate", "enabled", "url"}


def test_patch_changes_what_it_names(api, subscription):
    response = api.patch(
        f"/api/webhooks/{subscription.pk}", {"name": "Renamed", "events": ["trip.updated"]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert body(response)["name"] == "Renamed"
    assert "secret" not in body(response)
    subscription.refresh_from_db()
    assert (subscription.name, subscription.events, subscription.enabled) == ("Renamed", ["trip.updated"], True)


def test_turning_a_disabled_subscription_on_clears_its_failures(api, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        enabled=False, consecutive_failures=5, disabled_reason="Disabled after 5 deliveries in a row failed."
    )

    response = api.patch(f"/api/webhooks/{subscription.pk}", {"enabled": True}, format="json")

    assert response.status_code == 200, response.content
    subscription.refresh_from_db()
    assert (subscription.enabled, subscription.consecutive_failures, subscription.disabled_reason) == (True, 0, "")


def test_patching_the_secret_shows_the_new_one_in_that_answer_only(api, subscription):
    response = api.patch(f"/api/webhooks/{subscription.pk}", {"secret": "a brand new secret"}, format="json")

    assert body(response)["secret"] == "a brand new secret"
    subscription.refresh_from_db()
    assert subscription.secret == "a brand new secret"


def test_delete_removes_the_subscription_and_its_log(api, subscription):
    Delivery.objects.create(subscription=subscription, event="trip.created", body="{}")

    response = api.delete(f"/api/webhooks/{subscription.pk}")

    assert response.status_code == 204
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


def test_the_test_endpoint_sends_a_signed_test_event_now(api, subscription, receiver):
    response = api.post(f"/api/webhooks/{subscription.pk}/test")

    assert response.status_code == 200, response.content
    result = body(response)
    assert result["delivered"] is True
    assert result["status_code"] == 204
    [request] = receiver.requests
    assert request.headers["Tk-webhook-event"] == "webhook.test"
    expected = hmac.new(subscription.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["Tk-webhook-hmac-sha256"] == expected
    delivery = Delivery.objects.get(pk=result["delivery_id"])
    assert delivery.status == Delivery.Status.SUCCEEDED
    subscription.refresh_from_db()
    assert subscription.sent_count == 0  # a test moves no count


def test_a_failed_test_says_why_and_is_not_retried(api, subscription, receiver):
    receiver.answer(500)

    result = body(api.post(f"/api/webhooks/{subscription.pk}/test"))

    assert (result["delivered"], result["status_code"]) == (False, 500)
    assert "HTTP 500" in result["error"]
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.FAILED


def test_the_events_are_listed_with_their_topics(api):
    response = api.get("/api/webhooks/events")

    assert response.status_code == 200
    assert [event["name"] for event in body(response)] == list(EVENTS)
    assert body(response)[0] == {
        "name": "trip.created",
        "topic": "trips",
        "description": EVENTS["trip.created"].description,
    }


def test_the_delivery_log_lists_each_delivery_with_its_attempts(
    api, company, subscription, receiver, django_capture_on_commit_callbacks
):
    from travelportal.webhooks.outbox import emit_event

    receiver.answer(500)
    with django_capture_on_commit_callbacks(execute=True):
        emit_event(company=company, event="cost_center.created", payload={"id": 1})

    document = body(api.get(f"/api/webhooks/{subscription.pk}/deliveries"))

    assert document["total"] == 1
    [delivery] = document["deliveries"]
    assert (delivery["event"], delivery["status"], delivery["attempt_count"]) == ("cost_center.created", "succeeded", 2)
    assert [(a["number"], a["status_code"]) for a in delivery["attempts"]] == [(1, 500), (2, 204)]
    assert delivery["attempts"][0]["error"] == "The receiver answered HTTP 500."


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("patch", "", {"name": "Mine now"}),
        ("delete", "", None),
        ("post", "/test", None),
        ("get", "/deliveries", None),
    ],
)
def test_another_companys_subscription_is_not_found(other_api, subscription, receiver, method, suffix, data):
    response = getattr(other_api, method)(f"/api/webhooks/{subscription.pk}{suffix}", data, format="json")

    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.name == "ERP sync"
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/webhooks"),
        ("patch", "/api/webhooks/{id}"),
        ("delete", "/api/webhooks/{id}"),
        ("post", "/api/webhooks/{id}/test"),
    ],
)
def test_writing_needs_the_write_scope(company, subscription, method, path):
    reader = api_with_scopes(company, "webhooks:read")

    response = getattr(reader, method)(path.format(id=subscription.pk), {}, format="json")

    assert response.status_code == 403
    assert body(response)["required_scope"] == "webhooks:write"
    assert Subscription.objects.get().name == "ERP sync"


@pytest.mark.parametrize(
    "path", ["/api/webhooks", "/api/webhooks/{id}", "/api/webhooks/events", "/api/webhooks/{id}/deliveries"]
)
def test_reading_needs_the_read_scope(company, subscription, path):
    assert api_with_scopes(company, "webhooks:read").get(path.format(id=subscription.pk)).status_code == 200
    response = api_with_scopes(company, "trips:read").get(path.format(id=subscription.pk))
    assert response.status_code == 403
    assert body(response)["required_scope"] == "webhooks:read"


def test_without_a_credential_it_is_a_401(client, subscription):
    response = client.get("/api/webhooks")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_put_is_not_allowed(api, subscription):
    response = api.put(f"/api/webhooks/{subscription.pk}", {"name": "x"}, format="json")

    assert response.status_code == 405
    assert Subscription.objects.get().name == "ERP sync"


def _queries(api, path: str) -> tuple[int, str]:
    api.get(path)  # the key's first use of the minute also writes its last_used_at
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries), "\n".join(q["sql"] for q in queries.captured_queries)


def test_the_subscription_list_runs_the_same_queries_for_any_length(api, company, receiver):
    create_subscription(company=company, name="S0", url=f"{receiver.url}/0", events=["trip.created"])
    few, _ = _queries(api, "/api/webhooks")
    for n in range(1, 12):
        create_subscription(company=company, name=f"S{n}", url=f"{receiver.url}/{n}", events=["trip.created"])

    many, sql = _queries(api, "/api/webhooks")

    assert many == few, sql


def test_the_delivery_log_runs_the_same_queries_for_any_length(api, subscription):
    def add(count):
        for _ in range(count):
            delivery = Delivery.objects.create(subscription=subscription, event="trip.created", body="{}")
            delivery.attempts.create(number=1, started_at=delivery.created_at, status_code=500, error="HTTP 500")

    add(1)
    few, _ = _queries(api, f"/api/webhooks/{subscription.pk}/deliveries")
    add(15)

    many, sql = _queries(api, f"/api/webhooks/{subscription.pk}/deliveries")

    assert many == few, sql
