"""gunicorn settings of the web process (Procfile: ``--config python:travelportal.operations.gunicorn_config``)."""

from __future__ import annotations

import os
from typing import Any

# The request log is the portal's own JSON line (travelportal.operations.middleware).
accesslog = None


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits leaves its metric files behind; prometheus_client is told, so
    its live gauges stop counting (counters and histograms are kept, as they should)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
