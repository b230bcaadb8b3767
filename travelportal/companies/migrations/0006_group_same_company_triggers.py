"""The same-company rule of 0002 for groups: a membership joins a person and a group of
one company, and a group's travel policy is one of the company's. A later migration that
rebuilds companies_user on SQLite must drop and reinstall these too (see 0004)."""

from importlib import import_module

from django.db import migrations

_triggers = import_module("travelportal.companies.migrations.0002_same_company_triggers")
Rule = _triggers.Rule

RULES = (
    Rule(
        name="groupmembership_same_company",
        table="companies_groupmembership",
        columns=("group_id", "user_id"),
        violation=(
            "EXISTS (SELECT 1 FROM companies_group g, companies_user u "
            "WHERE g.id = NEW.group_id AND u.id = NEW.user_id AND g.company_id {distinct} u.company_id)"
        ),
        message="Members of a group must belong to the company of the group.",
    ),
    Rule(
        name="group_travel_policy_same_company",
        table="companies_group",
        columns=("travel_policy_id", "company_id"),
        violation=(
            "NEW.travel_policy_id IS NOT NULL AND EXISTS (SELECT 1 FROM companies_travelpolicy t "
            "WHERE t.id = NEW.travel_policy_id AND t.company_id {distinct} NEW.company_id)"
        ),
        message="The travel policy must belong to the same company.",
    ),
)


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    build = {"postgresql": _triggers._postgresql_statements, "sqlite": _triggers._sqlite_statements}.get(vendor)
    if build is None:
        return
    for rule in RULES:
        for statement in build(rule):
            schema_editor.execute(statement, params=None)


def remove(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    for rule in RULES:
        for statement in _triggers._drop_statements(rule, vendor):
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0005_groups_and_memberships"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
