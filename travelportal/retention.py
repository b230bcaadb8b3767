"""Removing old rows without long locks: a bounded batch of ids per DELETE, each batch its
own short transaction, until nothing is left.

One DELETE of every old row would lock all of them (and, on PostgreSQL, write all of their
dead tuples) in one transaction while SCIM requests keep writing the same table; a batch
of ids locks at most that many rows for the moment the statement takes. The daily tasks
of the apps (provisioning log, approvals outbox, sign-in records) all delete this way.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, transaction
from django.db.models import QuerySet

# Rows per DELETE statement.
BATCH_SIZE = 5000


def retention_task(name: str):
    """The Celery task of a periodic clean-up (``CELERY_BEAT_SCHEDULE``): acknowledged
    once it ran, so a worker killed mid-run leaves it to run again (every clean-up is
    idempotent), and retried with backoff when the database is away, since the next
    scheduled run may be a day off."""
    return shared_task(name=name, autoretry_for=(DatabaseError,), retry_backoff=60, max_retries=5, acks_late=True)


def delete_in_batches(queryset: QuerySet, *, batch_size: int | None = None) -> int:
    """Delete every row ``queryset`` matches, at most ``batch_size`` ids per DELETE, and
    return how many rows of its model went.

    Rows cascading from a batch (Django's ``on_delete``) go with that batch. Call it
    outside ``transaction.atomic``: inside one, the batches would add up to the long
    transaction this avoids.
    """
    size = batch_size or BATCH_SIZE
    model = queryset.model
    ids = queryset.order_by().values_list("pk", flat=True)
    deleted = 0
    while True:
        batch = list(ids[:size])
        if not batch:
            return deleted
        with transaction.atomic(using=queryset.db):
            _, per_model = model._base_manager.using(queryset.db).filter(pk__in=batch).delete()
        deleted += per_model.get(model._meta.label, 0)
        if len(batch) < size:
            return deleted
