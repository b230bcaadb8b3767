"""Every management command of the portal that changes data records its changes in the
audit trail (travelportal.audit.commands.AuditedCommand)."""

from __future__ import annotations

from importlib import import_module

from django.core.management import get_commands

from travelportal.audit.commands import AuditedCommand

# Commands that only read, or only talk to another server.
READ_ONLY = {"simulate_entra"}
PROJECT_PACKAGES = ("travelportal.", "approvals", "scim")


def test_every_project_command_that_writes_is_audited():
    project = {name: app for name, app in get_commands().items() if app.startswith(PROJECT_PACKAGES)}
    assert {"seed_demo", "import_catalogue", "configure_approvals", "rebuild_approval_processes"} <= set(project)

    unaudited = sorted(
        name
        for name, app in project.items()
        if name not in READ_ONLY
        and not issubclass(import_module(f"{app}.management.commands.{name}").Command, AuditedCommand)
    )

    assert unaudited == []
