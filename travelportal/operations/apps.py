from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health, metrics and structured logs: what operators see of a running portal."""

    name = "travelportal.operations"
    label = "operations"

    def ready(self) -> None:
        from django.conf import settings
        from django.core.signals import request_finished

        from travelportal.operations import logs, receivers
        from travelportal.operations.middleware import forget_request

        # structlog's loggers filter at the standard library's root level (LOG_LEVEL).
        logs.configure_structlog(json=not settings.DEBUG, level=settings.LOGGING["root"]["level"])
        receivers.connect_task_metrics()
        request_finished.connect(forget_request, dispatch_uid="operations.forget_request")
