"""Reading the provisioning log: filters, the SCIM health summary and the activity series.

Counting happens in SQL (one grouped query per chart), so a busy tenant's months of log
rows never travel to Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from travelportal.companies.models import Company, User
from travelportal.provisioning.models import ProvisioningLogEntry

Op = ProvisioningLogEntry.Operation

# A log row is an error when the SCIM request failed (HTTP status 400 and up).
ERROR = Q(status__gte=400)
NOT_ERROR = Q(status__isnull=True) | Q(status__lt=400)
# Manager cycles are domain events, not requests from the identity provider.
REQUEST = ~Q(operation=Op.MANAGER_CYCLE)

# The chart's series: what each counts. Errors are counted apart so the bars stack
# without counting a failed request twice.
SERIES: tuple[tuple[str, str, Q], ...] = (
    ("creates", "Creates", Q(operation=Op.CREATE) & NOT_ERROR),
    ("updates", "Updates", Q(operation__in=[Op.UPDATE, Op.ENABLE]) & NOT_ERROR),
    ("deactivations", "Deactivations", Q(operation__in=[Op.DISABLE, Op.DELETE]) & NOT_ERROR),
    ("errors", "Errors", REQUEST & ERROR),
)


def filter_log_entries(
    *,
    company: Company,
    operation: str = "",
    outcome: str = "",
    person: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[ProvisioningLogEntry]:
    """The company's provisioning log, newest first, narrowed by the activity filters."""
    entries = ProvisioningLogEntry.objects.for_company(company)
    if operation:
        entries = entries.filter(operation=operation)
    if outcome == "error":
        entries = entries.filter(ERROR)
    elif outcome == "ok":
        entries = entries.filter(NOT_ERROR)
    if person:
        entries = entries.filter(user_name__icontains=person)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lte=until)
    return entries.order_by("-created_at", "-id")


@dataclass(frozen=True)
class ScimHealth:
    last_request_at: dt.datetime | None
    requests_24h: int
    errors_24h: int
    pending_manager_refs: int
    cycles_found: int

    @property
    def is_healthy(self) -> bool:
        return self.errors_24h == 0 and self.pending_manager_refs == 0 and self.cycles_found == 0


def scim_health(*, company: Company, now: dt.datetime | None = None) -> ScimHealth:
    """The SCIM page's health summary, in two queries."""
    now = now or timezone.now()
    day_ago = now - dt.timedelta(hours=24)
    log = ProvisioningLogEntry.objects.for_company(company).aggregate(
        last_request_at=Max("created_at", filter=REQUEST),
        requests_24h=Count("id", filter=REQUEST & Q(created_at__gte=day_ago)),
        errors_24h=Count("id", filter=REQUEST & ERROR & Q(created_at__gte=day_ago)),
        cycles_found=Count("id", filter=Q(operation=Op.MANAGER_CYCLE)),
    )
    pending = User.objects.for_company(company).exclude(pending_manager_ref="").count()
    return ScimHealth(pending_manager_refs=pending, **log)


@dataclass(frozen=True)
class Bucket:
    start: dt.datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def activity_buckets(*, company: Company, days: int, bucket: str, now: dt.datetime | None = None) -> list[Bucket]:
    """Creates, updates, deactivations and errors per hour or per day over the last
    ``days`` days, one grouped SQL query; buckets without activity are filled with zeros."""
    now = now or timezone.now()
    step = dt.timedelta(hours=1) if bucket == "hour" else dt.timedelta(days=1)
    trunc = TruncHour if bucket == "hour" else TruncDay
    last = _truncate(now, bucket)
    first = last - step * (days * 24 - 1 if bucket == "hour" else days - 1)
    rows = (
        ProvisioningLogEntry.objects.for_company(company)
        .filter(created_at__gte=first)
        .annotate(bucket=trunc("created_at", tzinfo=dt.UTC))
        .values("bucket")
        .annotate(**{key: Count("id", filter=q) for key, _, q in SERIES})
        .order_by("bucket")
    )
    by_start = {row["bucket"]: row for row in rows}
    buckets = []
    start = first
    while start <= last:
        row = by_start.get(start, {})
        buckets.append(Bucket(start=start, counts={key: row.get(key, 0) for key, _, _ in SERIES}))
        start += step
    return buckets


def _truncate(moment: dt.datetime, bucket: str) -> dt.datetime:
    moment = moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == "day" else moment
