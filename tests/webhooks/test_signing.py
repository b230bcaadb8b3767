"""What a receiver gets: the body, signed over its raw bytes (checked here with an
independent HMAC), and TravelPerk's and Standard Webhooks' headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from travelportal.webhooks.outbox import emit_event
from travelportal.webhooks.subscriptions import create_subscription

pytestmark = pytest.mark.django_db


def emit(company, django_capture_on_commit_callbacks, event="cost_center.created", payload=None):
    with django_capture_on_commit_callbacks(execute=True):
        return emit_event(company=company, event=event, payload=payload or {"id": 7, "name": "R&D", "archived": False})


def test_the_body_is_signed_with_the_hex_hmac_sha256_of_its_raw_bytes(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    emit(company, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    expected = hmac.new(subscription.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["Tk-webhook-hmac-sha256"] == expected
    assert request.path == "/hooks/travel"


def test_the_standard_webhooks_signature_covers_the_id_and_timestamp(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    emit(company, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    message_id, timestamp = request.headers["webhook-id"], request.headers["webhook-timestamp"]
    key = base64.b64decode(subscription.secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + request.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == expected
    assert abs(int(timestamp) - time.time()) < 60


def test_the_headers_name_the_subscription_and_the_event(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    [delivery] = emit(company, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    assert request.headers["Tk-webhook-name"] == "ERP sync"
    assert request.headers["Tk-webhook-event"] == "cost_center.created"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"] == str(delivery.pk)


def test_the_body_is_the_event_envelope_with_its_data(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    [delivery] = emit(company, django_capture_on_commit_callbacks)

    body = json.loads(receiver.requests[0].body)
    assert body["id"] == str(delivery.pk)
    assert body["type"] == "cost_center.created"
    assert body["data"] == {"id": 7, "name": "R&D", "archived": False}
    assert body["timestamp"].endswith("Z")


def test_a_secret_the_integrator_chose_signs_as_its_utf8_bytes(company, receiver, django_capture_on_commit_callbacks):
    # TravelPerk lets the integrator set the secret; their own verification must pass.
    create_subscription(
        company=company, name="Théo's ERP", url=receiver.url, events=["cost_center.created"], secret="some secret ✓"
    )

    emit(company, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    expected = hmac.new("some secret ✓".encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["Tk-webhook-hmac-sha256"] == expected
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    standard = base64.b64encode(hmac.new("some secret ✓".encode(), signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{standard}"
    # Header values are ASCII: the name's other characters are percent-encoded.
    assert request.headers["Tk-webhook-name"] == "Th%C3%A9o's ERP"


def test_a_retry_keeps_the_webhook_id_and_body_and_signs_afresh(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    receiver.answer(503)

    emit(company, django_capture_on_commit_callbacks, payload={"name": "Café ☕"})

    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(second.body)["data"] == {"name": "Café ☕"}
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for request in (first, second):
        assert request.headers["Tk-webhook-hmac-sha256"] == (
            hmac.new(subscription.secret.encode(), request.body, hashlib.sha256).hexdigest()
        )
