"""The change sequence: a number the database gives a row each time it changes, such that
a cursor sync (``travelportal.api.pagination``) asking for "everything after N" sees
every committed change exactly once.

A wall-clock ``updated_at`` cannot do this: it is taken when the row is written, not
when its transaction commits, so a transaction that commits after a reader has paged
past its timestamp is skipped for ever. The rules, for every table given a
``change_seq`` column (people, cost centres, invoice profiles, travel policies, approval
processes, trips):

- Each INSERT or UPDATE of a row, by any path (``save()``, ``QuerySet.update()``,
  ``bulk_update()``, raw SQL, a trigger), gives it the number of the writing
  transaction; a soft delete is an UPDATE, so it is numbered like any other change. The
  application never writes the column: whatever value a ``save()`` sends is replaced.
- A reader walks rows by (number, id) and reads only numbers below the *horizon*
  (``visible_horizon``): a number below which every transaction has ended. So a
  transaction that commits late cannot put a row behind a position a reader already
  holds: until it ends, the horizon stays at or below its number, and the reader's
  position with it.

PostgreSQL: the number is the writing transaction's id (``pg_current_xact_id()``, the
64-bit xid8 that never wraps), set by a BEFORE trigger as the row is written, and the
horizon is the oldest other transaction of the database still running in the current
snapshot (or, with none, the first id not yet handed out): every transaction with a lower id has committed
or rolled back, and ids are handed out in increasing order, so no change with a lower
number can still appear. This costs a write nothing beyond setting the column (no lock,
no second write at commit, so nothing to deadlock on), and a reader one small query.
What it costs instead: while one transaction runs, rows written after it began by
others wait above the horizon, so a long transaction (a full chain rebuild of a large
company) delays what cursor readers see until it ends, never what they get.

SQLite: a plain AFTER trigger takes the next number from a one-row counter table when
the row is written, and there is no horizon. That is enough because SQLite has one
writer at a time: from its first write (with the portal's IMMEDIATE transactions, from
BEGIN) until COMMIT a transaction holds the database's write lock, so no other
transaction can take a number between its numbers and its commit. A flag in the counter
row keeps the trigger's own UPDATE from numbering the row twice.

Migrations call the functions below (``install_sequence``, ``install_triggers`` and
their ``remove_*``); they are written for that, by vendor
(``schema_editor.connection.vendor``), and other vendors are left without triggers. On
SQLite a later migration that rebuilds one of these tables drops its triggers with it
and must call ``install_triggers`` again; tests/api/test_change_sequence.py checks that
every trigger is installed after all migrations.
"""

# Every name in the SQL below is a constant of this module or a table a migration names;
# nothing comes from a request.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence

# The column every synced model carries (a nullable, indexed BigIntegerField).
CHANGE_FIELD = "change_seq"

COUNTER = "tp_change_counter"
# The writing transaction's id as a bigint: xid8 has no cast to bigint but through text.
_TRANSACTION_NUMBER = "pg_current_xact_id()::text::bigint"

_POSTGRESQL_FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION tp_change_seq_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.{CHANGE_FIELD} := {_TRANSACTION_NUMBER};
    RETURN NEW;
END
$$""",
)


def _postgresql_triggers(table: str) -> list[str]:
    (stamp,) = trigger_names("postgresql", table)
    return [f"CREATE TRIGGER {stamp} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {stamp}()"]


def visible_horizon(connection) -> int | None:
    """The number below which every change a reader can be shown has committed (see the
    module docstring), or None where every committed number may be read (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_HORIZON)
        (horizon,) = cursor.fetchone()
    return horizon


# The oldest transaction still running in the reader's snapshot, else the first id not yet
# handed out. Not pg_snapshot_xmin: it counts the reader's own transaction, whose writes
# it sees, and transaction ids are the cluster's, so it would also wait for transactions
# of other databases; those running in another database (pg_stat_activity's backend_xid,
# the low 32 bits of the same id) are left out. The snapshot is taken first: a
# transaction that got its id after it has an id at or above xmax.
_HORIZON = """
WITH snapshot AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
elsewhere AS (
    SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
)
SELECT COALESCE(
    (SELECT MIN(x::text::bigint) FROM snapshot, pg_snapshot_xip(snapshot.s) AS x
     WHERE (x::text::bigint % 4294967296) NOT IN (SELECT xid FROM elsewhere)),
    (SELECT pg_snapshot_xmax(s)::text::bigint FROM snapshot)
)
"""


def _sqlite_triggers(table: str) -> list[str]:
    body = (
        f"BEGIN "
        f"UPDATE {COUNTER} SET value = value + 1, stamping = 1; "
        f"UPDATE {table} SET {CHANGE_FIELD} = (SELECT value FROM {COUNTER}) WHERE id = NEW.id; "
        f"UPDATE {COUNTER} SET stamping = 0; "
        f"END"
    )
    return [
        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN (SELECT stamping FROM {COUNTER}) = 0 {body}"
        for name, event in zip(trigger_names("sqlite", table), ("INSERT", "UPDATE"), strict=True)
    ]


def trigger_names(vendor: str, table: str) -> list[str]:
    """The triggers that number ``table``'s rows (PostgreSQL's are per table by name)."""
    if vendor == "postgresql":
        return ["tp_change_seq_stamp"]
    return [f"tp_change_seq_{table}_insert", f"tp_change_seq_{table}_update"]


def install_sequence(schema_editor) -> None:
    """The trigger function (PostgreSQL), or the counter (SQLite)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = _POSTGRESQL_FUNCTIONS
    elif vendor == "sqlite":
        statements = (
            f"CREATE TABLE {COUNTER} (id integer PRIMARY KEY CHECK (id = 1), "
            f"value integer NOT NULL, stamping integer NOT NULL)",
            f"INSERT INTO {COUNTER} (id, value, stamping) VALUES (1, 0, 0)",
        )
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def remove_sequence(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = ("DROP FUNCTION IF EXISTS tp_change_seq_stamp()",)
    elif vendor == "sqlite":
        statements = (f"DROP TABLE IF EXISTS {COUNTER}",)
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install_triggers(schema_editor, *, table: str, order_by: Sequence[str]) -> None:
    """Number ``table``'s existing rows, then install its triggers. On SQLite they are
    numbered in ``order_by`` order (for example the order an older timestamp cursor
    walked them in, then by id); on PostgreSQL they all take the migrating transaction's
    number, below every later change, and walk in id order within it."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    quote = schema_editor.quote_name
    ordering = ", ".join(quote(column) for column in order_by)
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"UPDATE {quote(table)} SET {CHANGE_FIELD} = {_TRANSACTION_NUMBER}")
        else:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
            (count,) = cursor.fetchone()
            if count:
                cursor.execute(f"SELECT value + 1 FROM {COUNTER}")
                (base,) = cursor.fetchone()
                cursor.execute(f"UPDATE {COUNTER} SET value = value + %s", [count])
                cursor.execute(
                    f"UPDATE {quote(table)} SET {CHANGE_FIELD} = ordered.n + %s "
                    f"FROM (SELECT id, row_number() OVER (ORDER BY {ordering}) - 1 AS n FROM {quote(table)}) "
                    f"AS ordered WHERE {quote(table)}.id = ordered.id",
                    [base],
                )
    build = _postgresql_triggers if vendor == "postgresql" else _sqlite_triggers
    for statement in build(table):
        schema_editor.execute(statement, params=None)


def remove_triggers(schema_editor, *, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name in trigger_names(vendor, table)]
    elif vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in trigger_names(vendor, table)]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)
