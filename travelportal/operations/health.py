"""What ``/health/`` checks (django-health-check), each failing with the reason a person
on call needs: the database, Redis, a Celery worker answering a ping, migrations applied,
and the age of the approval rebuild outbox's oldest waiting change.

Without ``REDIS_URL`` (the embedded default) tasks run in-process, so neither Redis nor a
worker is checked. Checks that read the portal's own tables run in the request's thread
(``sync_to_async``, thread-sensitive), on the request's connection; the library's
database probe opens a connection of its own and closes it.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from redis.asyncio import Redis as RedisClient


@dataclasses.dataclass
class DatabaseCheck(Database):
    name = "database"

    def __repr__(self) -> str:
        return "Database"


def _redis_client() -> RedisClient:
    # Short timeouts: a probe must answer before its own deadline, saying why.
    return RedisClient.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


@dataclasses.dataclass
class RedisCheck(Redis):
    name = "redis"
    client_factory: object = dataclasses.field(repr=False, default=_redis_client)

    def __repr__(self) -> str:
        return "Redis"


@dataclasses.dataclass
class CeleryWorkerCheck(Ping):
    """At least one worker answers a broadcast ping within the timeout (1 s)."""

    name = "celery_worker"
    limit: int | None = dataclasses.field(repr=False, default=1)

    def __repr__(self) -> str:
        return "Celery worker"

    def run(self) -> None:
        try:
            replies = self.app.control.ping(timeout=self.timeout.total_seconds(), limit=self.limit)
        except Exception as exc:  # kombu raises its own OperationalError, not an OSError
            raise ServiceUnavailable(f"the broker could not be reached to ping the workers: {exc}") from exc
        if not replies:
            raise ServiceUnavailable(f"no Celery worker answered a ping within {self.timeout.total_seconds():g} s")
        for reply in replies:
            for worker, answer in reply.items():
                if answer != self.CORRECT_PING_RESPONSE:
                    raise ServiceUnavailable(f"Celery worker {worker} answered the ping with {answer!r}")


# Set once this process has seen every migration applied: migrations change only with a
# deployment, which restarts the processes, so later probes skip reading the migration
# files and the django_migrations table.
_migrations_applied = False


@dataclasses.dataclass
class MigrationsCheck(HealthCheck):
    name = "migrations"

    def __repr__(self) -> str:
        return "Migrations"

    async def run(self) -> None:
        await sync_to_async(self._check)()

    def _check(self) -> None:
        global _migrations_applied
        if _migrations_applied:
            return
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable(f"could not read the applied migrations: {exc}") from exc
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
            more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
            raise ServiceUnavailable(f"{len(plan)} migrations not applied: {names}{more}")
        _migrations_applied = True


def outbox_max_age() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HEALTH_OUTBOX_MAX_AGE_SECONDS)


@dataclasses.dataclass
class ChainOutboxCheck(HealthCheck):
    """The oldest people change waiting in the approval rebuild outbox is younger than
    HEALTH_OUTBOX_MAX_AGE_SECONDS. A task takes a change within the coalescing delay and
    the sweep within about 20 s, so an older one means no worker is draining it (or
    rebuilds keep failing), and approvers are being picked from stale chains."""

    name = "approval_outbox"

    def __repr__(self) -> str:
        return "Approval rebuild outbox"

    async def run(self) -> None:
        await sync_to_async(self._check)()

    def _check(self) -> None:
        from approvals.services.outbox_state import outbox_state

        try:
            oldest = outbox_state().oldest
        except DatabaseError as exc:
            raise ServiceUnavailable(f"could not read the outbox: {exc}") from exc
        if oldest is None:
            return
        age = timezone.now() - oldest
        limit = outbox_max_age()
        if age > limit:
            raise ServiceUnavailable(
                f"the oldest waiting change is {int(age.total_seconds())} s old "
                f"(more than {int(limit.total_seconds())} s): are the Celery worker and beat running?"
            )


def portal_checks() -> Iterator[HealthCheck]:
    yield DatabaseCheck()
    yield MigrationsCheck()
    yield ChainOutboxCheck()
    if settings.REDIS_URL:
        from travelportal.celery import app

        yield RedisCheck()
        yield CeleryWorkerCheck(app=app)
