"""Idempotency-Key on POST: a retry answers the first answer and writes nothing again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.conftest import assert_problem
from travelportal.api.idempotency import purge_idempotency_records
from travelportal.api.models import IdempotencyRecord
from travelportal.companies.models import CostCentre, TravelPolicy

pytestmark = pytest.mark.django_db


def test_the_same_key_and_body_get_the_first_answer_without_a_second_write(api):
    first = api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    again = api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CostCentre.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(api):
    api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    body = assert_problem(api.post("/api/cost_centers", {"name": "Ops"}, idempotency_key="k-1"), 422)
    assert body["type"].endswith("idempotency-key-reused")
    assert list(CostCentre.objects.values_list("name", flat=True)) == ["Sales"]


def test_the_same_key_on_another_path_is_a_422(api):
    api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    assert_problem(api.post("/api/travel_policies", {"name": "Sales"}, idempotency_key="k-1"), 422)
    assert not TravelPolicy.objects.exists()


def test_keys_are_per_company(api, other_api):
    api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    theirs = other_api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    assert theirs.status_code == 201
    assert CostCentre.objects.count() == 2


def test_a_refused_request_leaves_no_record_so_a_corrected_retry_works(api):
    assert_problem(api.post("/api/cost_centers", {}, idempotency_key="k-1"), 400)
    assert not IdempotencyRecord.objects.exists()
    assert api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-2").status_code == 201


def test_a_key_older_than_24_hours_is_forgotten(api):
    api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert api.post("/api/cost_centers", {"name": "Ops"}, idempotency_key="k-1").status_code == 201
    assert CostCentre.objects.count() == 2


def test_old_records_are_purged(api):
    api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert purge_idempotency_records() == 1


def test_an_over_long_key_is_a_400(api):
    assert_problem(api.post("/api/cost_centers", {"name": "Sales"}, idempotency_key="k" * 256), 400)
    assert not CostCentre.objects.exists()


def test_a_decision_retried_with_its_key_is_made_once(api, world):
    trip, admin = world["trip"], world["admin"]
    body = {"comment": "Fine", "approver_id": str(admin.pk)}
    first = api.post(f"/api/approvals/{trip.pk}/approve", body, idempotency_key="d-1")
    again = api.post(f"/api/approvals/{trip.pk}/approve", body, idempotency_key="d-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "approved"
    assert trip.events.filter(kind="approved").count() == 1


WEBHOOK = {"name": "ERP", "url": "http://127.0.0.1:9/hook", "events": ["user.provisioned"]}


def stored_answers() -> list[tuple[str, str]]:
    """``(response_body, response_secrets)`` of each record as the database holds them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body, response_secrets FROM api_idempotencyrecord")
        return [(str(body), secrets) for body, secrets in cursor.fetchall()]


@pytest.mark.parametrize("secret", [None, "chosen-by-the-integrator"])
def test_a_replayed_webhook_creation_answers_the_same_body_with_its_secret(api, settings, secret):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    body = {**WEBHOOK, **({"secret": secret} if secret else {})}

    first = api.post("/api/webhooks", body, idempotency_key="w-1")
    again = api.post("/api/webhooks", body, idempotency_key="w-1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.json()["secret"] == (secret or first.json()["secret"])


@pytest.mark.parametrize("secret", [None, "chosen-by-the-integrator"])
def test_the_remembered_webhook_answer_holds_no_plain_secret(api, settings, secret):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    body = {**WEBHOOK, **({"secret": secret} if secret else {})}

    plain = api.post("/api/webhooks", body, idempotency_key="w-1").json()["secret"]

    [(stored_body, stored_secrets)] = stored_answers()
    assert plain not in stored_body and plain not in stored_secrets
    assert "secret" not in IdempotencyRecord.objects.get().response_body
    assert stored_secrets
