"""The base of management commands that change data: their changes are audited."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from travelportal.audit.context import audited, command_source


class AuditedCommand(BaseCommand):
    """A command whose changes to audited models are recorded with its name (and the
    login of whoever ran it) in the audit trail; works the same under ``call_command``."""

    def execute(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        with audited(command_source(name)):
            return super().execute(*args, **options)
