"""The open requests each person holds, as delta rows kept by triggers on service_servicerequest
(SQLite and PostgreSQL; see service.models.OpenLoad), and their first filling from the requests there.

A request counts for its assignee while its state is open. The triggers are made before the filling so
that on PostgreSQL their lock on the requests table keeps writers out until the migration commits.
"""

from django.db import migrations, models

from aftersales.core.migration_sql import vendor_sql

SR = "service_servicerequest"
LOAD = "service_openload"
# rules.OPEN as of this migration (service/tests/test_open_load.py keeps the two equal).
OPEN_STATES = ("dispatched", "in_progress", "received", "registered", "waiting_customer", "waiting_parts")
OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN_STATES) + ")"


def holds(row: str) -> str:
    """Whether the request `row` (old/new) counts for its assignee."""
    return f"({row}.assignee_id IS NOT NULL AND {row}.status IN {OPEN_SQL})"


# Only a change of assignee or of whether the state is open moves a count.
SQLITE_CHANGED = f"old.assignee_id IS NOT new.assignee_id OR (old.status IN {OPEN_SQL}) IS NOT (new.status IN {OPEN_SQL})"
PG_CHANGED = (
    f"OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR (OLD.status IN {OPEN_SQL}) IS DISTINCT FROM "
    f"(NEW.status IN {OPEN_SQL})"
)

SQLITE = [
    f"""CREATE TRIGGER service_open_load_insert AFTER INSERT ON {SR} WHEN {holds("new")} BEGIN
          INSERT INTO {LOAD} (user_id, n) VALUES (new.assignee_id, 1);
        END""",
    f"""CREATE TRIGGER service_open_load_update AFTER UPDATE OF assignee_id, status ON {SR}
        WHEN {SQLITE_CHANGED}
        BEGIN
          INSERT INTO {LOAD} (user_id, n) SELECT old.assignee_id, -1 WHERE {holds("old")}
            UNION ALL SELECT new.assignee_id, 1 WHERE {holds("new")};
        END""",
    # As the rollup's: a flush deletes table by table in no fixed order; with the last request gone,
    # nobody holds any.
    f"""CREATE TRIGGER service_open_load_delete AFTER DELETE ON {SR} BEGIN
          INSERT INTO {LOAD} (user_id, n) SELECT old.assignee_id, -1 WHERE {holds("old")};
          DELETE FROM {LOAD} WHERE NOT EXISTS (SELECT 1 FROM {SR});
        END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS service_open_load_delete",
    "DROP TRIGGER IF EXISTS service_open_load_update",
    "DROP TRIGGER IF EXISTS service_open_load_insert",
]

# PostgreSQL: statement triggers with transition tables for inserts and deletes (a bulk insert writes
# one row per person), a row trigger for updates (its WHEN clause is checked without calling the
# function, so most updates cost nothing), and TRUNCATE (the tests' flush) empties the table.


def pg_grouped(event: str, rows: str, sign: str) -> list[str]:
    """The statement trigger adding (sign '') or taking away (sign '-') the rows of transition table
    `rows` on `event` (INSERT: NEW TABLE, DELETE: OLD TABLE), one row per person."""
    name = f"service_open_load_{event.lower()}"
    table = "NEW" if event == "INSERT" else "OLD"
    return [
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO {LOAD} (user_id, n) SELECT assignee_id, {sign}COUNT(*) FROM {rows}
            WHERE {holds(rows)} GROUP BY assignee_id;
          RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER {name} AFTER {event} ON {SR} REFERENCING {table} TABLE AS {rows}
        FOR EACH STATEMENT EXECUTE FUNCTION {name}()""",
    ]


POSTGRES = [
    *pg_grouped("INSERT", "new_rows", ""),
    *pg_grouped("DELETE", "old_rows", "-"),
    f"""CREATE FUNCTION service_open_load_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM {LOAD};
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER service_open_load_truncate AFTER TRUNCATE ON {SR}
        FOR EACH STATEMENT EXECUTE FUNCTION service_open_load_truncate()""",
    f"""CREATE FUNCTION service_open_load_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF {holds("OLD")} THEN
            INSERT INTO {LOAD} (user_id, n) VALUES (OLD.assignee_id, -1);
          END IF;
          IF {holds("NEW")} THEN
            INSERT INTO {LOAD} (user_id, n) VALUES (NEW.assignee_id, 1);
          END IF;
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER service_open_load_update AFTER UPDATE OF assignee_id, status ON {SR} FOR EACH ROW
        WHEN ({PG_CHANGED}) EXECUTE FUNCTION service_open_load_update()""",
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER IF EXISTS service_open_load_update ON {SR}",
    f"DROP TRIGGER IF EXISTS service_open_load_truncate ON {SR}",
    f"DROP TRIGGER IF EXISTS service_open_load_delete ON {SR}",
    f"DROP TRIGGER IF EXISTS service_open_load_insert ON {SR}",
    "DROP FUNCTION IF EXISTS service_open_load_update()",
    "DROP FUNCTION IF EXISTS service_open_load_truncate()",
    "DROP FUNCTION IF EXISTS service_open_load_delete()",
    "DROP FUNCTION IF EXISTS service_open_load_insert()",
]
FILL = [
    f"""INSERT INTO {LOAD} (user_id, n) SELECT assignee_id, COUNT(*) FROM {SR}
        WHERE assignee_id IS NOT NULL AND status IN {OPEN_SQL} GROUP BY assignee_id"""
]

# The tests run the filling again on their own rows (service/tests/test_open_load.py).
fill = vendor_sql({"sqlite": FILL, "postgresql": FILL})


class Migration(migrations.Migration):
    dependencies = [("service", "0009_drop_number_like_index"), ("accounts", "0002_alter_apitoken_expires_at_and_more")]

    operations = [
        migrations.CreateModel(
            name="OpenLoad",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("n", models.IntegerField(verbose_name="count")),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.user",
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "open requests held (delta)",
                "verbose_name_plural": "open requests held (deltas)",
                "indexes": [models.Index(fields=["user", "n"], name="open_load_user_idx")],
            },
        ),
        migrations.RunPython(
            vendor_sql({"sqlite": SQLITE, "postgresql": POSTGRES}),
            vendor_sql({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
