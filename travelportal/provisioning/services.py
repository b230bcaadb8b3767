"""Recording what provisioning did, and forgetting it after the retention period."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from travelportal.companies.models import Company, User
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.request_ids import current_request_id
from travelportal.retention import delete_in_batches


def record_event(
    *,
    company: Company | int,
    operation: str,
    detail: str = "",
    user: User | None = None,
    status: int | None = None,
) -> ProvisioningLogEntry:
    """Record a domain event found while applying provisioned data (a manager cycle, say)."""
    company_id = company if isinstance(company, int) else company.pk
    return ProvisioningLogEntry.objects.create(
        company_id=company_id,
        created_at=timezone.now(),
        operation=operation,
        detail=detail,
        user=user,
        user_name=user.username if user else "",
        status=status,
    )


SECRET_KEYS = ("password", "authorization", "token", "secret")
REMOVED = "[removed]"


def names_a_secret(name: object) -> bool:
    """Whether an attribute name or PATCH path names a secret: SCIM attribute names are
    case-insensitive (RFC 7643 §2.1), and may come fully qualified by their schema URN
    (``urn:ietf:params:scim:schemas:core:2.0:User:password``) or as a path into a
    complex attribute (RFC 7644 §3.10)."""
    return isinstance(name, str) and any(secret in name.lower() for secret in SECRET_KEYS)


def strip_secrets(body: object) -> object:
    """A copy of a request body without anything secret (passwords, tokens), in every form
    SCIM sends one: an attribute of a POST or PUT resource (``password``, any case), a
    PATCH operation whose ``path`` names it (its ``value`` goes, whatever its shape), and
    a PATCH operation without a path whose ``value`` object holds it (RFC 7644 §3.5.2)."""
    if isinstance(body, dict):
        stripped = {key: (REMOVED if names_a_secret(key) else strip_secrets(value)) for key, value in body.items()}
        # The members of a PATCH operation are matched as case-insensitively as its attributes.
        if any(str(key).lower() == "path" and names_a_secret(value) for key, value in body.items()):
            stripped.update({key: REMOVED for key in body if str(key).lower() == "value"})
        return stripped
    if isinstance(body, list):
        return [strip_secrets(item) for item in body]
    return body


def record_scim_request(
    *,
    company: Company | int,
    operation: str,
    method: str,
    path: str,
    status: int,
    resource_type: str = "User",
    user_id: object = None,
    user_name: str = "",
    duration_ms: int | None = None,
    scim_type: str = "",
    detail: str = "",
    request_body: object = None,
) -> ProvisioningLogEntry:
    """Record one SCIM request: a single INSERT, no reads (it runs on every request).

    The body is stored without secrets; ``user_id`` is the id of the person touched; the
    entry carries the request's id (``travelportal.request_ids``)."""
    company_id = company if isinstance(company, int) else company.pk
    # savepoint=False: inside a caller's transaction there is nothing to undo on its own.
    with transaction.atomic(savepoint=False), without_waiting_for_the_disk():
        return ProvisioningLogEntry.objects.create(
            company_id=company_id,
            created_at=timezone.now(),
            operation=operation,
            resource_type=resource_type,
            method=method,
            path=path[:500],
            status=status,
            user_id=user_id,
            user_name=(user_name or "")[:254],
            duration_ms=duration_ms,
            scim_type=(scim_type or "")[:50],
            detail=detail or "",
            request_body=strip_secrets(request_body) if request_body is not None else None,
            request_id=current_request_id(),
        )


@contextmanager
def without_waiting_for_the_disk():
    """Inside a transaction: its COMMIT does not wait for PostgreSQL to flush the WAL to
    disk (``synchronous_commit`` off for this transaction alone).

    Every SCIM request writes one log entry after its answer is decided, a read as well
    as a write, and waiting for that flush took 3-4 ms per request here while other work
    shared the disk (0.3 ms when it did not), more than the rest of a lookup. What the
    client was told about (the person written) keeps waiting for the disk in its own
    transaction; only a crash of PostgreSQL itself can lose the log entries of its last
    fraction of a second (never half of one)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    yield


def prune_provisioning_log(*, older_than: datetime) -> int:
    """Delete the log entries of every company recorded before ``older_than``, in batches
    (``travelportal.retention``); returns how many went. Run daily with the cut-off
    PROVISIONING_LOG_RETENTION_DAYS ago; entries since then are untouched."""
    return delete_in_batches(ProvisioningLogEntry.objects.filter(created_at__lt=older_than))
