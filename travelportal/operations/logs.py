"""Structured logs: JSON lines with ``DEBUG`` off, readable lines with it on.

One formatter serves both structlog's loggers and the standard library's (Django's,
Celery's, the portal's own ``logging.getLogger(__name__)``), so every line carries the
same keys: ``timestamp``, ``level``, ``logger``, ``event`` and whatever the context holds,
above all the ``request_id`` bound by ``travelportal.operations.middleware`` for the
request, or carried into a Celery task by django-structlog (``task_id`` there too).
"""

from __future__ import annotations

import sys
from typing import Any

import structlog

# Run on every record, structlog's or the standard library's, before it is rendered.
_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(*, json: bool, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dictConfig: one console handler on the root logger (stderr), its
    lines JSON objects when ``json``, else readable key=value lines."""
    renderer: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json
        else [
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
        ]
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
                "foreign_pre_chain": [*_SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-health-check logs each failing check with its traceback at every
            # probe; the probe's answer already carries the reason. Its unexpected errors
            # (a bug in a check) are still logged.
            "health_check": {"level": "ERROR"},
        },
    }


def configure_structlog() -> None:
    """structlog's loggers hand their event to the standard library, whose level filter
    runs first (a dropped DEBUG event costs one comparison) and whose handler renders it."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
