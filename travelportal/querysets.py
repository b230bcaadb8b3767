"""Query helpers the hot paths share."""

from __future__ import annotations

from django.db.models import QuerySet


def only_match(rows: QuerySet):
    """The one row a lookup by a unique value matches, or None.

    Not ``.first()``: its ORDER BY (the model's default ordering, or the primary key) is
    compiled against every selected column, which on a SCIM request cost more CPU than
    the rest of the lookup, and orders nothing when at most one row can match."""
    return next(iter(rows.order_by()[:1]), None)
