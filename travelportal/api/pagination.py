"""Two ways through every list.

- ``offset``/``limit`` (TravelPerk's): ``{"total": N, "offset": 0, "limit": 50, "<plural>": [...]}``,
  ``limit`` at most 50, in the resource's own order. Only what exists now: a list with
  deleted rows (``/users``) leaves them out unless ``include_deleted=true`` is given,
  which lists them as tombstones (below) in the same order.
- ``cursor`` (for incremental sync): ``?cursor=`` (empty: from the start) walks the rows
  in the order they changed and answers
  ``{"limit": 50, "has_more": bool, "next_cursor": "...", "<plural>": [...]}``. The last
  ``next_cursor`` is kept by the client and sent again later to get only what changed
  since. A cursor is an opaque token; it names a position, not a permission, so every
  page is still filtered to the caller's company.

A cursor walks the company's change sequence (``travelportal.companies.changes``): the
number of the transaction that last wrote each row, read only below the number under
which every transaction has ended, so a sync sees every change exactly once: a row
changed again is listed again (once, as it is now) and never missed, even when its
transaction commits after the reader has paged past rows written later.
A deleted person stays in the cursor walk as a tombstone, ``{"id": ..., "deleted_at":
...}``, listed once when the deletion commits (and again only if they change again).
A walk lists what matches its filters now: a trip that stops matching ``status=pending``,
or a decision that leaves ``/approvals``, is not reported, and an approval process that
is deleted leaves no tombstone; a client that must learn of those reads the list by
offset again now and then.

Cursors issued before the change sequence named a modification time and an id; they
are still accepted by those lists, as "what changed after that time": the walk goes on
from the first row modified after that position, so it may repeat rows the client
already has, but skips none the old cursor would have given, and its ``next_cursor`` is
of the new kind. Lists outside the change sequence (``/provisioning_events``, webhooks
and their deliveries) still walk by modification time (for logs, creation time) and id.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Max, Min, Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from travelportal.companies.changes import visible_horizon

DEFAULT_LIMIT = 50
MAX_LIMIT = 50
MALFORMED = "This cursor is malformed; use one the API returned."


class PageParameters(serializers.Serializer):
    offset = serializers.IntegerField(min_value=0, max_value=2**62, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    include_deleted = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if "cursor" in attrs and "offset" in self.initial_data:
            raise serializers.ValidationError({"cursor": "Use either cursor or offset, not both."})
        return attrs


def _encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def encode_cursor(modified: datetime, pk) -> str:
    """A position by modification time and id (the logs' cursors, and the old kind)."""
    return _encode([modified.isoformat(), str(pk)])


class ChangePosition(NamedTuple):
    """A position in the change sequence: after the row ``pk`` of change ``after``, or
    after every row of that change when ``pk`` is None (rows of one transaction share
    its number, and are walked by id)."""

    after: int
    pk: str | None = None


def encode_change_cursor(position: ChangePosition) -> str:
    """A position in the company's change sequence."""
    return _encode({"after": position.after, **({"id": position.pk} if position.pk is not None else {})})


def decode_cursor(token: str) -> ChangePosition | tuple[datetime, str] | None:
    """The position a cursor names: in the change sequence, a (modified, id) pair, or
    None for the empty cursor."""
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if (
        isinstance(value, dict)
        and type(value.get("after")) is int
        and 0 <= value["after"] < 2**63
        and isinstance(value.get("id", ""), str)
        and set(value) <= {"after", "id"}
    ):
        return ChangePosition(value["after"], value.get("id"))
    if isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value):
        try:
            moment = parse_datetime(value[0])
        except ValueError:
            moment = None
        if moment is not None:
            return moment, value[1]
    raise serializers.ValidationError({"cursor": MALFORMED})


class EnvelopePagination(BasePagination):
    """Pages in TravelPerk's envelope, or by cursor. ``envelope`` is the list's key (the
    resource's plural, see ``named``). The view names the field its rows' modification
    time is in (``modified_field``); a view whose model is in the change sequence also
    names that column (``change_field``), which cursors then walk; and a view whose rows
    may be deleted names the column saying when (``deleted_field``)."""

    envelope = "results"

    @classmethod
    def named(cls, envelope: str) -> type[EnvelopePagination]:
        return type(f"{envelope.title().replace('_', '')}Pagination", (cls,), {"envelope": envelope})

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        params = PageParameters(data=request.query_params)
        params.is_valid(raise_exception=True)
        self.limit = params.validated_data["limit"]
        self.cursor_mode = "cursor" in params.validated_data
        deleted_field = getattr(view, "deleted_field", None)
        if deleted_field and not self.cursor_mode and not params.validated_data["include_deleted"]:
            queryset = queryset.filter(**{f"{deleted_field}__isnull": True})
        if not self.cursor_mode:
            self.offset = params.validated_data["offset"]
            self.total = queryset.count()
            return list(queryset[self.offset : self.offset + self.limit])

        token = params.validated_data["cursor"]
        change_field = getattr(view, "change_field", None)
        if change_field is None:
            page, self.next_cursor = self._by_time(queryset, view.modified_field, token)
        else:
            page, self.next_cursor = self._by_change(queryset, change_field, view.modified_field, token)
        return page

    def _by_change(self, queryset: QuerySet, field: str, modified_field: str, token: str) -> tuple[list, str]:
        # Only numbers below the horizon: every transaction that could still commit a
        # change has a number at or above it (travelportal.companies.changes).
        horizon = visible_horizon(connections[queryset.db])
        visible = queryset if horizon is None else queryset.filter(**{f"{field}__lt": horizon})
        position = decode_cursor(token)
        if position is None:
            position = ChangePosition(0)
        elif not isinstance(position, ChangePosition):
            position = self._change_after(visible, field, modified_field, *position)
        rows = visible.filter(**{f"{field}__gt": position.after})
        if position.pk is not None:
            pk = self._pk(queryset, position.pk)
            rows = visible.filter(Q(**{f"{field}__gt": position.after}) | Q(**{field: position.after, "pk__gt": pk}))
        page = self._take(rows.order_by(field, "pk"))
        if page:
            position = ChangePosition(getattr(page[-1], field), str(page[-1].pk))
        return page, encode_change_cursor(position)

    def _change_after(
        self, visible: QuerySet, field: str, modified_field: str, moment: datetime, pk: str
    ) -> ChangePosition:
        """The position an old (modified, id) cursor stands for: before the first visible
        row modified after that position, or after the last visible one when none was."""
        pk = self._pk(visible, pk)
        later = visible.filter(Q(**{f"{modified_field}__gt": moment}) | Q(**{modified_field: moment, "pk__gt": pk}))
        first = later.order_by().aggregate(first=Min(field))["first"]
        if first is not None:
            return ChangePosition(first - 1)
        return ChangePosition(visible.order_by().aggregate(last=Max(field))["last"] or 0)

    def _by_time(self, queryset: QuerySet, field: str, token: str) -> tuple[list, str]:
        position = decode_cursor(token)
        if isinstance(position, ChangePosition):
            # A change cursor of another list: this one walks by time.
            raise serializers.ValidationError({"cursor": MALFORMED})
        rows = queryset.order_by(field, "pk")
        if position is not None:
            moment, pk = position
            pk = self._pk(queryset, pk)
            rows = rows.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        page = self._take(rows)
        return page, encode_cursor(getattr(page[-1], field), page[-1].pk) if page else token

    @staticmethod
    def _pk(queryset: QuerySet, pk: str):
        try:
            return queryset.model._meta.pk.to_python(pk)
        except ValidationError:
            raise serializers.ValidationError({"cursor": MALFORMED}) from None

    def _take(self, rows: QuerySet) -> list:
        page = list(rows[: self.limit + 1])
        self.has_more = len(page) > self.limit
        return page[: self.limit]

    def get_paginated_response(self, data) -> Response:
        if not self.cursor_mode:
            return Response({"total": self.total, "offset": self.offset, "limit": self.limit, self.envelope: data})
        return Response(
            {"limit": self.limit, "has_more": self.has_more, "next_cursor": self.next_cursor, self.envelope: data}
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        def query(name: str, schema: dict, description: str) -> dict:
            return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

        if getattr(view, "change_field", None):
            walk = (
                "Walk the list in the order its rows changed, each change once: empty to start, then the "
                "next_cursor of the previous page."
            )
        else:
            walk = "Walk the list by modification time: empty to start, then the next_cursor of the previous page."
        parameters = [
            query(
                "offset", {"type": "integer", "minimum": 0, "maximum": 2**62, "default": 0}, "How many rows to skip."
            ),
            query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                f"How many rows to return, at most {MAX_LIMIT}.",
            ),
            query("cursor", {"type": "string", "maxLength": 200}, walk),
        ]
        if getattr(view, "deleted_field", None):
            deleted = (
                "With offset paging, list deleted rows too, as tombstones ({id, deleted_at}). "
                "A cursor walk always lists them, once, when the deletion commits."
            )
            parameters.append(query("include_deleted", {"type": "boolean", "default": False}, deleted))
        return parameters

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
