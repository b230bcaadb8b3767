"""Employee number and department of a person (the enterprise extension's employeeNumber
and department).

On SQLite, adding a NOT NULL column rebuilds the user table, which the same-company
triggers of 0002 name: they are dropped before and installed again after (PostgreSQL
adds the columns in place and keeps them)."""

from importlib import import_module

from django.db import migrations, models

_triggers = import_module("travelportal.companies.migrations.0002_same_company_triggers")


def drop_triggers_on_sqlite(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _triggers.remove_triggers(apps, schema_editor)


def install_triggers_on_sqlite(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _triggers.remove_triggers(apps, schema_editor)
        _triggers.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0003_user_primary_of_work_email_and_phone"),
    ]

    operations = [
        migrations.RunPython(drop_triggers_on_sqlite, install_triggers_on_sqlite, elidable=False),
        migrations.AddField(
            model_name="user",
            name="employee_number",
            field=models.CharField(blank=True, max_length=100, verbose_name="employee number"),
        ),
        migrations.AddField(
            model_name="user",
            name="department",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True), models.Q(("employee_number", ""), _negated=True)),
                fields=("company", "employee_number"),
                name="user_employee_number_unique_per_company",
                violation_error_message="This employee number is already used in the company.",
            ),
        ),
        migrations.RunPython(install_triggers_on_sqlite, drop_triggers_on_sqlite, elidable=False),
    ]
