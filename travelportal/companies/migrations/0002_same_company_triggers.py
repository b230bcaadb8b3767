"""Database triggers for the cross-row rule "it belongs to the same company".

A ForeignKey can say "a user", never "a user of this company", so the rule that a
person's manager, cost centre, travel policy and invoice profiles belong to the person's
own company is enforced here with triggers, for whichever vendor the database is. Every
path that writes (the ORM, SCIM, raw SQL, a support engineer in psql) meets the same
rule, and a violation surfaces as django.db.IntegrityError on both vendors.

Each rule is checked from both sides: when the reference is set, and when one end moves
to another company. A reference to a row that does not exist is left to the (deferred)
foreign key, so only a row that exists in another company is refused.

The SQL is written out here rather than imported, so this migration keeps doing what it
did when later code changes.

On SQLite, a later migration that rebuilds one of these tables (most AlterField and
RemoveField operations copy the table and drop the old one) drops its triggers with it;
such a migration must install them again. tests/foundation/test_constraints.py checks
that every trigger is still there after all migrations.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import migrations


@dataclass(frozen=True)
class Rule:
    name: str
    table: str
    # Columns whose UPDATE fires the rule; inserts fire it too unless update_only.
    columns: tuple[str, ...]
    # An SQL boolean over NEW that is true when the row breaks the rule; {distinct} is
    # the vendor's null-safe "differs from".
    violation: str
    message: str
    update_only: bool = False
    # For update-only rules: fire only when this column really changed.
    changed: str | None = None


RULES = (
    Rule(
        name="user_manager_same_company",
        table="companies_user",
        columns=("manager_id", "company_id"),
        violation=(
            "NEW.manager_id IS NOT NULL AND EXISTS (SELECT 1 FROM companies_user m "
            "WHERE m.id = NEW.manager_id AND m.company_id {distinct} NEW.company_id)"
        ),
        message="The manager must belong to the same company.",
    ),
    Rule(
        name="user_cost_centre_same_company",
        table="companies_user",
        columns=("cost_centre_id", "company_id"),
        violation=(
            "NEW.cost_centre_id IS NOT NULL AND EXISTS (SELECT 1 FROM companies_costcentre c "
            "WHERE c.id = NEW.cost_centre_id AND c.company_id {distinct} NEW.company_id)"
        ),
        message="The cost centre must belong to the same company.",
    ),
    Rule(
        name="user_travel_policy_same_company",
        table="companies_user",
        columns=("travel_policy_id", "company_id"),
        violation=(
            "NEW.travel_policy_id IS NOT NULL AND EXISTS (SELECT 1 FROM companies_travelpolicy t "
            "WHERE t.id = NEW.travel_policy_id AND t.company_id {distinct} NEW.company_id)"
        ),
        message="The travel policy must belong to the same company.",
    ),
    Rule(
        name="user_invoice_profile_same_company",
        table="companies_user_invoice_profiles",
        columns=("user_id", "invoiceprofile_id"),
        violation=(
            "EXISTS (SELECT 1 FROM companies_user u, companies_invoiceprofile p "
            "WHERE u.id = NEW.user_id AND p.id = NEW.invoiceprofile_id AND u.company_id {distinct} p.company_id)"
        ),
        message="The invoice profile must belong to the same company.",
    ),
    # The other side: moving a person, or a catalogue entry, to another company.
    Rule(
        name="user_move_keeps_reports",
        table="companies_user",
        columns=("company_id",),
        violation=(
            "EXISTS (SELECT 1 FROM companies_user r WHERE r.manager_id = NEW.id AND r.company_id {distinct} NEW.company_id)"
        ),
        message="A manager with direct reports cannot move to another company.",
        update_only=True,
        changed="company_id",
    ),
    Rule(
        name="user_move_keeps_invoice_profiles",
        table="companies_user",
        columns=("company_id",),
        violation=(
            "EXISTS (SELECT 1 FROM companies_user_invoice_profiles l, companies_invoiceprofile p "
            "WHERE l.user_id = NEW.id AND p.id = l.invoiceprofile_id AND p.company_id {distinct} NEW.company_id)"
        ),
        message="A person with invoice profiles cannot move to another company.",
        update_only=True,
        changed="company_id",
    ),
    Rule(
        name="cost_centre_move_keeps_people",
        table="companies_costcentre",
        columns=("company_id",),
        violation=(
            "EXISTS (SELECT 1 FROM companies_user u WHERE u.cost_centre_id = NEW.id AND u.company_id {distinct} NEW.company_id)"
        ),
        message="A cost centre in use cannot move to another company.",
        update_only=True,
        changed="company_id",
    ),
    Rule(
        name="travel_policy_move_keeps_people",
        table="companies_travelpolicy",
        columns=("company_id",),
        violation=(
            "EXISTS (SELECT 1 FROM companies_user u WHERE u.travel_policy_id = NEW.id AND u.company_id {distinct} NEW.company_id)"
        ),
        message="A travel policy in use cannot move to another company.",
        update_only=True,
        changed="company_id",
    ),
    Rule(
        name="invoice_profile_move_keeps_people",
        table="companies_invoiceprofile",
        columns=("company_id",),
        violation=(
            "EXISTS (SELECT 1 FROM companies_user_invoice_profiles l, companies_user u "
            "WHERE l.invoiceprofile_id = NEW.id AND u.id = l.user_id AND u.company_id {distinct} NEW.company_id)"
        ),
        message="An invoice profile in use cannot move to another company.",
        update_only=True,
        changed="company_id",
    ),
)


def _sqlite_statements(rule: Rule) -> list[str]:
    violation = rule.violation.format(distinct="IS NOT")
    condition = violation
    if rule.changed:
        condition = f"OLD.{rule.changed} IS NOT NEW.{rule.changed} AND {violation}"
    # RAISE(ABORT) reports SQLITE_CONSTRAINT, which Python's sqlite3 (and so Django)
    # raises as IntegrityError.
    body = f"BEGIN SELECT RAISE(ABORT, '{rule.name}: {rule.message}'); END"
    events = [("update", f"UPDATE OF {', '.join(rule.columns)}")]
    if not rule.update_only:
        events.insert(0, ("insert", "INSERT"))
    return [
        f"CREATE TRIGGER tp_{rule.name}_{suffix} BEFORE {event} ON {rule.table} FOR EACH ROW WHEN {condition} {body}"
        for suffix, event in events
    ]


def _postgresql_statements(rule: Rule) -> list[str]:
    violation = rule.violation.format(distinct="IS DISTINCT FROM")
    # SQLSTATE 23000 (integrity_constraint_violation) is class 23, which psycopg raises
    # as IntegrityError and Django passes on as django.db.IntegrityError.
    function = (
        f"CREATE OR REPLACE FUNCTION tp_{rule.name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n"
        f"    IF {violation} THEN\n"
        f"        RAISE EXCEPTION '{rule.name}: {rule.message}'\n"
        f"            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = '{rule.name}';\n"
        f"    END IF;\n"
        f"    RETURN NEW;\n"
        f"END\n"
        f"$$"
    )
    events = f"UPDATE OF {', '.join(rule.columns)}"
    if not rule.update_only:
        events = f"INSERT OR {events}"
    when = f" WHEN (OLD.{rule.changed} IS DISTINCT FROM NEW.{rule.changed})" if rule.changed else ""
    trigger = (
        f"CREATE TRIGGER tp_{rule.name} BEFORE {events} ON {rule.table} "
        f"FOR EACH ROW{when} EXECUTE FUNCTION tp_{rule.name}()"
    )
    return [function, trigger]


def _drop_statements(rule: Rule, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS tp_{rule.name} ON {rule.table}",
            f"DROP FUNCTION IF EXISTS tp_{rule.name}()",
        ]
    return [f"DROP TRIGGER IF EXISTS tp_{rule.name}_{suffix}" for suffix in ("insert", "update")]


def install_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        build = _postgresql_statements
    elif vendor == "sqlite":
        build = _sqlite_statements
    else:
        # The portal supports PostgreSQL and SQLite only; model.clean() still checks
        # the rule elsewhere.
        return
    for rule in RULES:
        for statement in build(rule):
            schema_editor.execute(statement, params=None)


def remove_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    for rule in RULES:
        for statement in _drop_statements(rule, vendor):
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install_triggers, remove_triggers, elidable=False),
    ]
