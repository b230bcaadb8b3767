"""Two ways through every list.

- ``offset``/``limit`` (TravelPerk's): ``{"total": N, "offset": 0, "limit": 50, "<plural>": [...]}``,
  ``limit`` at most 50, in the resource's own order.
- ``cursor`` (for incremental sync): ``?cursor=`` (empty: from the start) walks the rows in
  the order they were last modified, then by id, and answers
  ``{"limit": 50, "has_more": bool, "next_cursor": "...", "<plural>": [...]}``. The last
  ``next_cursor`` is kept by the client and sent again later to get only what changed
  since. A cursor is an opaque token; it names a position, not a permission, so every
  page is still filtered to the caller's company.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

DEFAULT_LIMIT = 50
MAX_LIMIT = 50


class PageParameters(serializers.Serializer):
    offset = serializers.IntegerField(min_value=0, max_value=2**62, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        if "cursor" in attrs and "offset" in self.initial_data:
            raise serializers.ValidationError({"cursor": "Use either cursor or offset, not both."})
        return attrs


def encode_cursor(modified: datetime, pk) -> str:
    raw = json.dumps([modified.isoformat(), str(pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str] | None:
    """The (modified, id) position a cursor names; None for the empty cursor."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        modified, pk = json.loads(raw)
        moment = parse_datetime(modified)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        moment = None
    if moment is None or not isinstance(pk, str):
        raise serializers.ValidationError({"cursor": "This cursor is malformed; use one the API returned."})
    return moment, pk


class EnvelopePagination(BasePagination):
    """Pages in TravelPerk's envelope, or by cursor. ``envelope`` is the list's key (the
    resource's plural, see ``named``); the view names the field the cursor orders by
    (``modified_field``)."""

    envelope = "results"

    @classmethod
    def named(cls, envelope: str) -> type[EnvelopePagination]:
        return type(f"{envelope.title().replace('_', '')}Pagination", (cls,), {"envelope": envelope})

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        params = PageParameters(data=request.query_params)
        params.is_valid(raise_exception=True)
        self.limit = params.validated_data["limit"]
        self.cursor_mode = "cursor" in params.validated_data
        if not self.cursor_mode:
            self.offset = params.validated_data["offset"]
            self.total = queryset.count()
            return list(queryset[self.offset : self.offset + self.limit])

        field = view.modified_field
        position = decode_cursor(params.validated_data["cursor"])
        self.start = params.validated_data["cursor"]
        rows = queryset.order_by(field, "pk")
        if position is not None:
            moment, pk = position
            try:
                pk = queryset.model._meta.pk.to_python(pk)
            except ValidationError:
                raise serializers.ValidationError(
                    {"cursor": "This cursor is malformed; use one the API returned."}
                ) from None
            rows = rows.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        page = list(rows[: self.limit + 1])
        self.has_more = len(page) > self.limit
        page = page[: self.limit]
        self.last = (getattr(page[-1], field), page[-1].pk) if page else None
        return page

    def get_paginated_response(self, data) -> Response:
        if not self.cursor_mode:
            return Response({"total": self.total, "offset": self.offset, "limit": self.limit, self.envelope: data})
        next_cursor = encode_cursor(*self.last) if self.last else self.start
        return Response(
            {"limit": self.limit, "has_more": self.has_more, "next_cursor": next_cursor, self.envelope: data}
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        def query(name: str, schema: dict, description: str) -> dict:
            return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

        return [
            query(
                "offset", {"type": "integer", "minimum": 0, "maximum": 2**62, "default": 0}, "How many rows to skip."
            ),
            query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                f"How many rows to return, at most {MAX_LIMIT}.",
            ),
            query(
                "cursor",
                {"type": "string", "maxLength": 200},
                "Walk the list by modification time: empty to start, then the next_cursor of the previous page.",
            ),
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        offset_page = {
            "type": "object",
            "required": ["total", "offset", "limit", self.envelope],
            "properties": {
                "total": {"type": "integer"},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
                self.envelope: schema,
            },
        }
        cursor_page = {
            "type": "object",
            "required": ["limit", "has_more", "next_cursor", self.envelope],
            "properties": {
                "limit": {"type": "integer"},
                "has_more": {"type": "boolean"},
                "next_cursor": {"type": "string"},
                self.envelope: schema,
            },
        }
        return {"oneOf": [offset_page, cursor_page]}
