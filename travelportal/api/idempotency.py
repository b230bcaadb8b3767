"""``Idempotency-Key`` on POST: a retry gets the first answer and writes nothing again.

The key is remembered per company for 24 hours with a fingerprint of the request (method,
path and raw body). Within that time the same key with the same request gets the stored
answer; the same key with a different request is a 422. The record is written in the same
transaction as the operation, so a failed operation (an error answer, an exception)
leaves no record and may be retried, and two concurrent requests with one key are
serialised by the unique constraint: the second waits for the first and then replays it.

An action names the fields of its answer that are secrets (``@idempotent(secret_fields=
("secret",))``): they are remembered encrypted, apart from the rest of the body
(``IdempotencyRecord.response_secrets``), and put back into the replayed answer, so a
replay answers the same body while a dump of the table shows no secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import partial, wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response

from travelportal.api.models import IdempotencyRecord
from travelportal.api.problems import IdempotencyKeyReused
from travelportal.companies.models import Company

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def purge_idempotency_records(*, older_than: timedelta = KEY_LIFETIME) -> int:
    """Forget answers older than the key lifetime; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def _json(data):
    # Stored as JSON: Decimal, UUID and datetime values become the strings the API sends.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _split_secrets(body: object, secret_fields: tuple[str, ...]) -> tuple[object, str]:
    """``body`` without ``secret_fields``, and those fields as JSON text ("" when none)."""
    if not isinstance(body, dict) or not any(name in body for name in secret_fields):
        return body, ""
    secrets = {name: body[name] for name in secret_fields if name in body}
    return {name: value for name, value in body.items() if name not in secrets}, json.dumps(secrets)


def _replayed_body(record: IdempotencyRecord) -> object:
    if not record.response_secrets:
        return record.response_body
    return {**record.response_body, **json.loads(record.response_secrets)}


def _claim(*, company: Company, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """The live record of an earlier request with ``key``, or None after claiming the key
    for this request (inside the caller's transaction)."""
    now = timezone.now()
    IdempotencyRecord.objects.filter(company=company, key=key, created_at__lt=now - KEY_LIFETIME).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                company=company, key=key, fingerprint=fingerprint, response_status=0, created_at=now
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(company=company, key=key)
    return None


def idempotent(
    action: Callable[..., Response] | None = None, *, secret_fields: tuple[str, ...] = ()
) -> Callable[..., Response]:
    """Decorate a POST action of an API viewset to honour ``Idempotency-Key``; the answer's
    top-level ``secret_fields`` are remembered encrypted (``@idempotent(secret_fields=...)``)."""
    if action is None:
        return partial(idempotent, secret_fields=secret_fields)

    @wraps(action)
    def wrapper(view, request, *args, **kwargs) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return action(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise serializers.ValidationError(
                {IDEMPOTENCY_HEADER: f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters."}
            )
        company = request.auth.company
        fingerprint = request_fingerprint(method=request.method, path=request.get_full_path(), body=request.body)
        with transaction.atomic():
            earlier = _claim(company=company, key=key, fingerprint=fingerprint)
            if earlier is not None:
                if earlier.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was used for a different request in the last 24 hours."
                    )
                headers = {"Idempotent-Replayed": "true"}
                if earlier.response_location:
                    headers["Location"] = earlier.response_location
                return Response(_replayed_body(earlier), status=earlier.response_status, headers=headers)
            response = action(view, request, *args, **kwargs)
            body, secrets = _split_secrets(_json(response.data), secret_fields)
            IdempotencyRecord.objects.filter(company=company, key=key).update(
                response_status=response.status_code,
                response_body=body,
                response_secrets=secrets,
                response_location=response.headers.get("Location", "")[:500],
            )
        return response

    return wrapper
