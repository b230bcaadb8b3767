"""The API's periodic work."""

from __future__ import annotations

from travelportal.api.idempotency import purge_idempotency_records
from travelportal.retention import retention_task


@retention_task("api.purge_idempotency_records")
def purge_old_idempotency_records() -> int:
    return purge_idempotency_records()
