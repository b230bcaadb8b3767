from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health, metrics and structured logs: what operators see of a running portal."""

    name = "travelportal.operations"
    label = "operations"

    def ready(self) -> None:
        from travelportal.operations import logs, receivers

        logs.configure_structlog()
        receivers.connect_task_metrics()
