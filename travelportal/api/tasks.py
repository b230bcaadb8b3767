"""The API's periodic work."""

from __future__ import annotations

from celery import shared_task

from travelportal.api.idempotency import purge_idempotency_records


@shared_task(name="api.purge_idempotency_records")
def purge_old_idempotency_records() -> int:
    return purge_idempotency_records()
