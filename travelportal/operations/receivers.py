"""Celery task counts and durations from Celery's signals, in whichever process runs the
task (the worker, or the web process when tasks run in-process without REDIS_URL)."""

from __future__ import annotations

import time
from typing import Any

from celery.signals import task_postrun, task_prerun

from travelportal.operations.metrics import CELERY_TASK_SECONDS, CELERY_TASKS

# Start times by task id, in this process; a prefork pool process runs one task at a time.
_started: dict[str, float] = {}


def _task_started(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _task_finished(sender: Any = None, task_id: str | None = None, state: str | None = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", None) or "unknown"
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        CELERY_TASK_SECONDS.labels(name).observe(time.perf_counter() - started)
    CELERY_TASKS.labels(name, state or "UNKNOWN").inc()


def connect_task_metrics() -> None:
    task_prerun.connect(_task_started, dispatch_uid="operations.task_started")
    task_postrun.connect(_task_finished, dispatch_uid="operations.task_finished")
