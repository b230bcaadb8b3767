"""The outbox of people changes that may alter approval chains, and the scheduling of
one coalesced rebuild per company after the commit (run by ``chain_rebuilds``)."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from approvals.models import PendingChainChange, ScheduledRebuild
from approvals.services.chain_rebuilds import coalesce_seconds
from approvals.tasks import process_chain_changes
from travelportal.companies.models import Company
from travelportal.querysets import only_match

logger = logging.getLogger(__name__)

# A queued rebuild older than this is presumed lost (broker down, worker killed) and is
# enqueued again by the next change; the periodic sweep does not wait for it. Well above
# the coalescing delay, so a task that is merely waiting its turn is rarely doubled (a
# doubled one finds nothing left to do).
STALE_SCHEDULE = timedelta(seconds=20)


class RateLimitedWarning:
    """Logs a warning at most once per ``interval`` seconds in this process, saying how
    many like it were held back: while Redis is down every SCIM write fails to enqueue,
    and one line a minute says so as well as a thousand."""

    def __init__(self, log: logging.Logger, *, interval: float = 60.0) -> None:
        self.log = log
        self.interval = interval
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._held_back = 0

    def __call__(self, message: str, *args: object) -> bool:
        """Log ``message % args`` unless one was logged within the interval; True if logged."""
        now = time.monotonic()
        with self._lock:
            if now < self._next_at:
                self._held_back += 1
                return False
            held_back, self._held_back = self._held_back, 0
            self._next_at = now + self.interval
        if held_back:
            message += " (%d more like this in the last %d s were not logged)"
            args = (*args, held_back, int(self.interval))
        self.log.warning(message, *args)
        return True


_enqueue_failed = RateLimitedWarning(logger)


def record_people_changes(*, company_id: int, user_ids: Sequence[UUID]) -> None:
    """Note, inside the provisioning transaction, whose change may alter approval chains,
    and schedule one coalesced rebuild for after the commit.

    The outbox rows commit or roll back with the change itself, so a change the client
    was told about is never lost, whatever happens to the broker afterwards."""
    unique_ids = list(dict.fromkeys(user_ids))
    if not unique_ids:
        return
    PendingChainChange.objects.bulk_create(
        [PendingChainChange(company_id=company_id, user_id=user_id) for user_id in unique_ids]
    )
    transaction.on_commit(partial(schedule_chain_rebuild, company_id=company_id))


def request_full_rebuild(*, company: Company) -> None:
    """Ask for every automatic process of the company to be recomputed after the commit."""
    PendingChainChange.objects.create(company=company, user_id=None)
    transaction.on_commit(partial(schedule_chain_rebuild, company_id=company.pk))


# Until when, by this process's knowledge, a company's scheduled rebuild has surely not
# yet read its outbox: a rebuild scheduled at S runs at S + the coalescing delay at the
# earliest, so a change committed before S + half that delay is taken by it, and the
# writes of a sync in that window skip the scheduling read entirely.
_known_scheduled_until: dict[int, datetime] = {}


def _rebuilds_deferred() -> bool:
    """Whether a scheduled rebuild runs later (a worker, or the embedded default's thread)
    rather than inside the apply_async call (Celery's eager mode, as tests run it)."""
    from travelportal.celery import app

    return rebuild_in_thread() or not app.conf.task_always_eager


def rebuild_in_thread() -> bool:
    """The embedded default (no Redis, so no broker and no worker) coalesces too: the
    rebuild runs in a thread of the web process after the coalescing delay, instead of
    inline on every write (read when used, so tests can turn it on)."""
    return bool(getattr(settings, "APPROVALS_REBUILD_IN_THREAD", False))


def schedule_chain_rebuild(*, company_id: int) -> bool:
    """Enqueue the company's rebuild task unless one is already queued; True if enqueued.

    Runs after commit. If the broker is unreachable the outbox rows simply wait for the
    next change or the periodic sweep; the caller (a SCIM request) is never failed."""
    now = timezone.now()
    deferred = _rebuilds_deferred()
    known = _known_scheduled_until.get(company_id)
    if deferred and known is not None and now < known:
        return False
    delay = timedelta(seconds=coalesce_seconds())
    # The common case during a sync: a task is already queued and will take this change
    # too. Checking first spares each SCIM write a failing INSERT and its rollback.
    queued = only_match(
        ScheduledRebuild.objects.filter(company_id=company_id, scheduled_at__gte=now - STALE_SCHEDULE).values_list(
            "scheduled_at", flat=True
        )
    )
    if queued is not None:
        if deferred:
            _known_scheduled_until[company_id] = queued + delay / 2
        return False
    try:
        with transaction.atomic():
            ScheduledRebuild.objects.create(company_id=company_id, scheduled_at=now)
    except IntegrityError:
        claimed = ScheduledRebuild.objects.filter(company_id=company_id, scheduled_at__lt=now - STALE_SCHEDULE).update(
            scheduled_at=now
        )
        if not claimed:
            return False
    try:
        if rebuild_in_thread():
            _rebuild_later_in_thread(company_id, delay.total_seconds())
        else:
            process_chain_changes.apply_async(args=[company_id], countdown=delay.total_seconds(), retry=False)
        if deferred:
            _known_scheduled_until[company_id] = now + delay / 2
    except Exception as exc:
        # Drop our marker so the next change tries the broker again at once instead of
        # presuming a task is queued for STALE_SCHEDULE; the outbox rows wait either way.
        # The publish gives up within about 100 ms (CELERY_BROKER_TRANSPORT_OPTIONS).
        ScheduledRebuild.objects.filter(company_id=company_id, scheduled_at=now).delete()
        _enqueue_failed(
            "Could not enqueue the approval chain rebuild of company %s (%s); the outbox keeps the change "
            "and the sweep will rebuild once the broker is back.",
            company_id,
            exc,
        )
        return False
    return True


def _rebuild_later_in_thread(company_id: int, delay: float) -> None:
    """Run the company's coalesced rebuild in this process after ``delay`` seconds."""

    def run() -> None:
        try:
            process_chain_changes.apply(args=[company_id])
        except Exception:
            logger.exception("The in-process approval chain rebuild of company %s failed", company_id)
        finally:
            # The thread's own database connection; the web process's are untouched.
            connections.close_all()

    # The request's context (its request id, for the logs) goes with the rebuild it caused.
    timer = threading.Timer(delay, contextvars.copy_context().run, args=[run])
    # Not a daemon: a process that exits (a management command that provisioned people)
    # waits the delay out and rebuilds, rather than leaving the changes for the next write.
    timer.daemon = False
    timer.start()
