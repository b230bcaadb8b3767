"""Structured logs on stderr: JSON lines with ``DEBUG`` off, readable lines with it on.

Two paths end in the same lines, with the same keys (``timestamp``, ``level``, ``event``,
``logger`` and whatever the context holds, above all the ``request_id`` bound by
``travelportal.operations.middleware`` or carried into a Celery task by django-structlog,
with its ``task_id``):

- structlog's own loggers (the request line, django-structlog's task lines) render and
  write directly, without the standard library: a request line costs about 10 µs instead
  of 40 through a ``LogRecord``, a handler and a second pass of processors;
- the standard library's loggers (Django's, Celery's, the portal's ``logging.getLogger``)
  go through ``ProcessorFormatter``, which runs the same processors on their records.

Both write to ``STDERR``, which finds ``sys.stderr`` at each write, so the lines stay in
order with each other and test capture sees them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


class _CurrentStderr:
    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = _CurrentStderr()


def _renderer(*, json: bool) -> list[Any]:
    if json:
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return [
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
    ]


def logging_config(*, json: bool, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dictConfig of the standard library's loggers: one handler on the
    root logger, its records rendered like structlog's events."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderer(json=json)],
                "foreign_pre_chain": [
                    structlog.contextvars.merge_contextvars,
                    structlog.stdlib.add_log_level,
                    structlog.stdlib.add_logger_name,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.stdlib.ExtraAdder(),
                ],
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://travelportal.operations.logs.STDERR",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-health-check logs each failing check with its traceback at every
            # probe; the probe's answer already carries the reason. Its unexpected errors
            # (a bug in a check) are still logged.
            "health_check": {"level": "ERROR"},
        },
    }


def configure_structlog(*, json: bool, level: str) -> None:
    """structlog's loggers: events below ``level`` cost one comparison; the others are
    rendered and written to ``STDERR`` directly."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *_renderer(json=json),
        ],
        logger_factory=structlog.WriteLoggerFactory(file=STDERR),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        cache_logger_on_first_use=True,
    )
