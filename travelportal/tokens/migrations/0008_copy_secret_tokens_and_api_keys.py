"""SCIM tokens (tokens.SecretToken) and API keys (api.ApiKey) become rows of
tokens.Credential, hash, prefix, scopes, creator and dates kept, so every token and key
issued before keeps working.

Ids stay unique and are never given out twice: a SCIM token keeps its id, an API key's id
is moved past every SCIM token id, and the table's next id comes after all of them. The
audit trail names its objects by content type and id (a generic relation), so its entries
about either old model, deleted rows' included, move to the credential with that id; so
do the permissions support staff were given on either old model. Reversible: rows,
entries and permissions go back to the old models, keeping the credential ids.
"""

from django.conf import settings
from django.db import migrations

# The old models: app, model, the kind their rows become, the hash field, verbose name.
OLD_MODELS = (
    ("tokens", "secrettoken", "scim_token", "token_hash", "secret token"),
    ("api", "apikey", "api_key", "key_hash", "API key"),
)
PERMISSION_ACTIONS = ("add", "change", "delete", "view")


def _content_type(apps, db, app_label, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)[0]


def _continue_ids_after(connection, table, last_id):
    """Make the table's next generated id larger than ``last_id`` and than every row's:
    the rows were inserted with their ids, which PostgreSQL's identity sequence does not
    see, and audit entries may name ids of deleted rows."""
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        # Only a table name, quoted, is formatted into the SQL.
        cursor.execute(f"SELECT MAX(id) FROM {quoted}")  # noqa: S608
        last_id = max(last_id, cursor.fetchone()[0] or 0)
        if last_id < 1:
            return
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, last_id])
        elif connection.vendor == "sqlite":
            cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [last_id, table])
            if not cursor.rowcount:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last_id])
        else:
            raise NotImplementedError(f"No id sequence handling for {connection.vendor}.")


def _move_permissions(apps, db, source, target, target_name):
    """Give every group and person who holds one of ``source``'s model permissions the
    same permission on ``target``'s model (``target_name`` is its verbose name)."""
    Permission = apps.get_model("auth", "Permission")
    throughs = (
        (apps.get_model("auth", "Group").permissions.through, "group_id"),
        (apps.get_model(settings.AUTH_USER_MODEL).user_permissions.through, "user_id"),
    )
    for action in PERMISSION_ACTIONS:
        old = Permission.objects.using(db).filter(content_type=source, codename=f"{action}_{source.model}").first()
        if old is None:
            continue
        new, _ = Permission.objects.using(db).get_or_create(
            content_type=target,
            codename=f"{action}_{target.model}",
            defaults={"name": f"Can {action} {target_name}"},
        )
        for through, holder in throughs:
            holders = through.objects.using(db).filter(permission=old).values_list(holder, flat=True)
            through.objects.using(db).bulk_create(
                [through(**{holder: pk, "permission_id": new.pk}) for pk in holders], ignore_conflicts=True
            )


def to_credentials(apps, schema_editor):
    db = schema_editor.connection.alias
    Credential = apps.get_model("tokens", "Credential")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    target = _content_type(apps, db, "tokens", "credential")
    offset = last_id = 0
    for app_label, model_name, kind, hash_field, _ in OLD_MODELS:
        source = _content_type(apps, db, app_label, model_name)
        rows = [
            Credential(
                id=old.pk + offset,
                kind=kind,
                company_id=old.company_id,
                name=old.name,
                token_hash=getattr(old, hash_field),
                prefix=old.prefix,
                scope=old.scope,
                created_by_id=getattr(old, "created_by_id", None),
                created_at=old.created_at,
                last_used_at=old.last_used_at,
                expires_at=old.expires_at,
                revoked_at=old.revoked_at,
            )
            for old in apps.get_model(app_label, model_name).objects.using(db).order_by("pk").iterator()
        ]
        Credential.objects.using(db).bulk_create(rows, batch_size=500)
        entries = list(AuditEntry.objects.using(db).filter(content_type=source))
        for entry in entries:
            entry.content_type = target
            entry.object_id = int(entry.object_pk) + offset
            entry.object_pk = str(entry.object_id)
        AuditEntry.objects.using(db).bulk_update(entries, ["content_type", "object_id", "object_pk"], batch_size=500)
        _move_permissions(apps, db, source, target, "credential")
        last_id = max([last_id, *(row.id for row in rows), *(entry.object_id for entry in entries)])
        # The next model's ids start after every id this one used.
        offset = last_id
    _continue_ids_after(schema_editor.connection, Credential._meta.db_table, last_id)


def to_old_models(apps, schema_editor):
    db = schema_editor.connection.alias
    Credential = apps.get_model("tokens", "Credential")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    source = _content_type(apps, db, "tokens", "credential")
    kinds = dict(Credential.objects.using(db).values_list("id", "kind"))
    entries = list(AuditEntry.objects.using(db).filter(content_type=source))
    for app_label, model_name, kind, hash_field, verbose_name in OLD_MODELS:
        Old = apps.get_model(app_label, model_name)
        target = _content_type(apps, db, app_label, model_name)
        columns = {field.attname for field in Old._meta.concrete_fields}
        credentials = list(Credential.objects.using(db).filter(kind=kind).order_by("pk"))
        rows = []
        for credential in credentials:
            values = {
                "id": credential.pk,
                "company_id": credential.company_id,
                "name": credential.name,
                hash_field: credential.token_hash,
                "prefix": credential.prefix,
                "scope": credential.scope,
                "created_by_id": credential.created_by_id,
                "last_used_at": credential.last_used_at,
                "expires_at": credential.expires_at,
                "revoked_at": credential.revoked_at,
            }
            rows.append(Old(**{name: value for name, value in values.items() if name in columns}))
        Old.objects.using(db).bulk_create(rows, batch_size=500)
        # The old created_at is auto_now_add, which the insert set to now.
        for credential in credentials:
            Old.objects.using(db).filter(pk=credential.pk).update(created_at=credential.created_at)
        # An entry about a deleted credential tells its kind by the prefix in its name.
        moved = [
            entry
            for entry in entries
            if kinds.get(entry.object_id, "api_key" if "(tpk_" in entry.object_repr else "scim_token") == kind
        ]
        for entry in moved:
            entry.content_type = target
        AuditEntry.objects.using(db).bulk_update(moved, ["content_type"], batch_size=500)
        _move_permissions(apps, db, source, target, verbose_name)
        last_id = max([0, *(row.id for row in rows), *(entry.object_id for entry in moved)])
        _continue_ids_after(schema_editor.connection, Old._meta.db_table, last_id)
    Credential.objects.using(db).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0007_credential"),
        ("api", "0001_api_keys_and_idempotency"),
        ("audit", "0002_audit_entry_company_outlives_it"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(to_credentials, to_old_models),
    ]
