"""The same-company rule of companies 0002 for requester groups: a process names only
groups of its own company."""

from importlib import import_module

from django.db import migrations

_triggers = import_module("travelportal.companies.migrations.0002_same_company_triggers")

RULE = _triggers.Rule(
    name="approvalprocess_requester_group_same_company",
    table="approvals_approvalprocess_requester_groups",
    columns=("approvalprocess_id", "group_id"),
    violation=(
        "EXISTS (SELECT 1 FROM approvals_approvalprocess p, companies_group g "
        "WHERE p.id = NEW.approvalprocess_id AND g.id = NEW.group_id AND p.company_id {distinct} g.company_id)"
    ),
    message="Requester groups must belong to the company of the process.",
)


def install(apps, schema_editor) -> None:
    build = {"postgresql": _triggers._postgresql_statements, "sqlite": _triggers._sqlite_statements}.get(
        schema_editor.connection.vendor
    )
    if build is None:
        return
    for statement in build(RULE):
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    for statement in _triggers._drop_statements(RULE, vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_process_requester_groups_and_active"),
        ("companies", "0006_group_same_company_triggers"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
