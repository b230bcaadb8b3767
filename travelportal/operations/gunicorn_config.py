"""gunicorn settings of the web process (Procfile: ``--config python:travelportal.operations.gunicorn_config``)."""

from __future__ import annotations

import os
from typing import Any

from travelportal.env import env_int

# The request log is the portal's own JSON line (travelportal.operations.middleware).
accesslog = None

# Threads in each worker: a SCIM request makes about ten round trips to PostgreSQL and a
# write's COMMIT waits for the disk (0.3 ms on the benchmark's machine when quiet, 3-4 ms
# while other test suites wrote to the same disk), so another
# request runs meanwhile, and commits that wait together share one flush. On the 2-core
# benchmark machine, with PostgreSQL on loopback, 4 threads and 1 gave the same Entra
# cycle throughput within its noise (bench/README.md); they pay off where the database
# is further away. Django gives each thread its own database connection.
worker_class = "gthread"
threads = env_int("WEB_THREADS", 4, minimum=1)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits leaves its metric files behind; prometheus_client is told, so
    its live gauges stop counting (counters and histograms are kept, as they should)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Import the URLconf and every view before the first request: Django does it on the
    first one, which made the first SCIM answers of each worker take over a second."""
    import gc

    from django.apps import apps

    if apps.ready:  # the portal's app (the benchmark's floor runs under this file too)
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (the import is the point)
    # What is loaded now lives as long as the worker: out of the collector's way, so its
    # full collections during requests (the slowest answers' share) scan only their own.
    gc.freeze()
