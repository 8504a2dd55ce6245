"""The dashboard's monthly rollup: two tables of count deltas, the triggers on service_servicerequest that
write them (SQLite and PostgreSQL), and their first filling from the requests already there.

Months are calendar months of Asia/Shanghai, which has had no daylight saving time since 1991: a
fixed +8 hours is exact. Django stores an aware datetime on SQLite as naive UTC text
('YYYY-MM-DD HH:MM:SS[.ffffff]'), which SQLite's date() reads. A resolution counts once both
`resolved_at` and `resolved_in_time` are set. The triggers are created before the filling so that
on PostgreSQL their lock on the requests table keeps writers out until the migration commits: no
write falls between the filling's snapshot and the first trigger call.
"""

from django.db import migrations, models

from aftersales.core.migration_sql import vendor_sql

SR = "service_servicerequest"
RECEIVED = "reports_receivedcount"
RESOLVED = "reports_resolvedcount"


# --- SQLite: row triggers (it has no others) ---------------------------------------------------


def sqlite_month(column: str) -> str:
    return f"date({column}, '+8 hours', 'start of month')"


def sqlite_resolved(row: str) -> str:
    return f"{row}.resolved_at IS NOT NULL AND {row}.resolved_in_time IS NOT NULL"


SQLITE_RECEIVED_COLUMNS = f"INSERT INTO {RECEIVED} (month, org_unit_id, type, status, n)"
SQLITE_RESOLVED_COLUMNS = f"INSERT INTO {RESOLVED} (month, org_unit_id, in_time, n)"


def sqlite_received_row(row: str, n: int) -> str:
    return f"({sqlite_month(row + '.received_at')}, {row}.org_unit_id, {row}.type, {row}.status, {n})"


def sqlite_resolved_select(row: str, n: int) -> str:
    return (
        f"SELECT {sqlite_month(row + '.resolved_at')}, {row}.org_unit_id, {row}.resolved_in_time, {n} "
        f"WHERE {sqlite_resolved(row)}"
    )


SQLITE = [
    f"""CREATE TRIGGER reports_rollup_insert AFTER INSERT ON {SR} BEGIN
          {SQLITE_RECEIVED_COLUMNS} VALUES {sqlite_received_row("new", 1)};
          {SQLITE_RESOLVED_COLUMNS} {sqlite_resolved_select("new", 1)};
        END""",
    f"""CREATE TRIGGER reports_rollup_received_update AFTER UPDATE OF received_at, org_unit_id, type, status ON {SR}
        WHEN old.org_unit_id IS NOT new.org_unit_id OR old.type IS NOT new.type OR old.status IS NOT new.status
          OR {sqlite_month("old.received_at")} IS NOT {sqlite_month("new.received_at")}
        BEGIN
          {SQLITE_RECEIVED_COLUMNS} VALUES {sqlite_received_row("old", -1)}, {sqlite_received_row("new", 1)};
        END""",
    f"""CREATE TRIGGER reports_rollup_resolved_update AFTER UPDATE OF resolved_at, resolved_in_time, org_unit_id ON {SR}
        WHEN old.org_unit_id IS NOT new.org_unit_id OR old.resolved_in_time IS NOT new.resolved_in_time
          OR {sqlite_month("old.resolved_at")} IS NOT {sqlite_month("new.resolved_at")}
        BEGIN
          {SQLITE_RESOLVED_COLUMNS} {sqlite_resolved_select("old", -1)} UNION ALL {sqlite_resolved_select("new", 1)};
        END""",
    # SQLite's flush (the tests' transactional teardown) deletes table by table in no fixed order: when
    # the requests go after the rollup, their -1 rows would stay. With the last request gone, the rollup
    # is empty by definition.
    f"""CREATE TRIGGER reports_rollup_delete AFTER DELETE ON {SR} BEGIN
          {SQLITE_RECEIVED_COLUMNS} VALUES {sqlite_received_row("old", -1)};
          {SQLITE_RESOLVED_COLUMNS} {sqlite_resolved_select("old", -1)};
          DELETE FROM {RECEIVED} WHERE NOT EXISTS (SELECT 1 FROM {SR});
          DELETE FROM {RESOLVED} WHERE NOT EXISTS (SELECT 1 FROM {SR});
        END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_rollup_delete",
    "DROP TRIGGER IF EXISTS reports_rollup_resolved_update",
    "DROP TRIGGER IF EXISTS reports_rollup_received_update",
    "DROP TRIGGER IF EXISTS reports_rollup_insert",
]
SQLITE_FILL = [
    f"""{SQLITE_RECEIVED_COLUMNS}
        SELECT {sqlite_month("received_at")}, org_unit_id, type, status, COUNT(*) FROM {SR} GROUP BY 1, 2, 3, 4""",
    f"""{SQLITE_RESOLVED_COLUMNS}
        SELECT {sqlite_month("resolved_at")}, org_unit_id, resolved_in_time, COUNT(*) FROM {SR}
        WHERE resolved_at IS NOT NULL AND resolved_in_time IS NOT NULL GROUP BY 1, 2, 3""",
]


# --- PostgreSQL: statement triggers with transition tables for inserts and deletes (a COPY or a
# bulk insert writes one grouped row per key, not one per request), row triggers for updates (their
# WHEN clause is checked without calling the function, so most updates cost nothing) ---------------


def pg_month(column: str) -> str:
    return f"date_trunc('month', {column} AT TIME ZONE 'Asia/Shanghai')::date"


def pg_grouped(rows: str, sign: str) -> str:
    """The statements adding (sign '') or taking away (sign '-') the rows of transition table `rows`."""
    return f"""
      INSERT INTO {RECEIVED} (month, org_unit_id, type, status, n)
        SELECT {pg_month("received_at")}, org_unit_id, type, status, {sign}COUNT(*) FROM {rows} GROUP BY 1, 2, 3, 4;
      INSERT INTO {RESOLVED} (month, org_unit_id, in_time, n)
        SELECT {pg_month("resolved_at")}, org_unit_id, resolved_in_time, {sign}COUNT(*) FROM {rows}
        WHERE resolved_at IS NOT NULL AND resolved_in_time IS NOT NULL GROUP BY 1, 2, 3;"""


def pg_resolved_row(row: str, n: int) -> str:
    return f"""
      IF {row}.resolved_at IS NOT NULL AND {row}.resolved_in_time IS NOT NULL THEN
        INSERT INTO {RESOLVED} (month, org_unit_id, in_time, n)
        VALUES ({pg_month(row + ".resolved_at")}, {row}.org_unit_id, {row}.resolved_in_time, {n});
      END IF;"""


POSTGRES = [
    f"""CREATE FUNCTION reports_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {pg_grouped("new_rows", "")}
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER reports_rollup_insert AFTER INSERT ON {SR} REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_insert()""",
    f"""CREATE FUNCTION reports_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {pg_grouped("old_rows", "-")}
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER reports_rollup_delete AFTER DELETE ON {SR} REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_delete()""",
    # TRUNCATE fires no row or delete triggers (the tests' flush truncates every table at once).
    f"""CREATE FUNCTION reports_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM {RECEIVED};
          DELETE FROM {RESOLVED};
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER reports_rollup_truncate AFTER TRUNCATE ON {SR}
        FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_truncate()""",
    f"""CREATE FUNCTION reports_rollup_received_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO {RECEIVED} (month, org_unit_id, type, status, n) VALUES
            ({pg_month("OLD.received_at")}, OLD.org_unit_id, OLD.type, OLD.status, -1),
            ({pg_month("NEW.received_at")}, NEW.org_unit_id, NEW.type, NEW.status, 1);
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER reports_rollup_received_update
        AFTER UPDATE OF received_at, org_unit_id, type, status ON {SR} FOR EACH ROW
        WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id OR OLD.type IS DISTINCT FROM NEW.type
              OR OLD.status IS DISTINCT FROM NEW.status
              OR {pg_month("OLD.received_at")} IS DISTINCT FROM {pg_month("NEW.received_at")})
        EXECUTE FUNCTION reports_rollup_received_update()""",
    f"""CREATE FUNCTION reports_rollup_resolved_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {pg_resolved_row("OLD", -1)} {pg_resolved_row("NEW", 1)}
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER reports_rollup_resolved_update
        AFTER UPDATE OF resolved_at, resolved_in_time, org_unit_id ON {SR} FOR EACH ROW
        WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id
              OR OLD.resolved_in_time IS DISTINCT FROM NEW.resolved_in_time
              OR {pg_month("OLD.resolved_at")} IS DISTINCT FROM {pg_month("NEW.resolved_at")})
        EXECUTE FUNCTION reports_rollup_resolved_update()""",
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER IF EXISTS reports_rollup_resolved_update ON {SR}",
    f"DROP TRIGGER IF EXISTS reports_rollup_received_update ON {SR}",
    f"DROP TRIGGER IF EXISTS reports_rollup_truncate ON {SR}",
    f"DROP TRIGGER IF EXISTS reports_rollup_delete ON {SR}",
    f"DROP TRIGGER IF EXISTS reports_rollup_insert ON {SR}",
    "DROP FUNCTION IF EXISTS reports_rollup_resolved_update()",
    "DROP FUNCTION IF EXISTS reports_rollup_received_update()",
    "DROP FUNCTION IF EXISTS reports_rollup_truncate()",
    "DROP FUNCTION IF EXISTS reports_rollup_delete()",
    "DROP FUNCTION IF EXISTS reports_rollup_insert()",
]
POSTGRES_FILL = [
    f"""INSERT INTO {RECEIVED} (month, org_unit_id, type, status, n)
        SELECT {pg_month("received_at")}, org_unit_id, type, status, COUNT(*) FROM {SR} GROUP BY 1, 2, 3, 4""",
    f"""INSERT INTO {RESOLVED} (month, org_unit_id, in_time, n)
        SELECT {pg_month("resolved_at")}, org_unit_id, resolved_in_time, COUNT(*) FROM {SR}
        WHERE resolved_at IS NOT NULL AND resolved_in_time IS NOT NULL GROUP BY 1, 2, 3""",
]

# The tests run the filling again on their own rows (reports/tests/test_rollup.py).
fill = vendor_sql({"sqlite": SQLITE_FILL, "postgresql": POSTGRES_FILL})


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_alter_apitoken_expires_at_and_more"),
        ("service", "0006_request_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReceivedCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="month")),
                ("type", models.CharField(max_length=14, verbose_name="type")),
                ("status", models.CharField(max_length=16, verbose_name="status")),
                ("n", models.IntegerField(verbose_name="count")),
                (
                    "org_unit",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.orgunit",
                        verbose_name="owner team",
                    ),
                ),
            ],
            options={
                "verbose_name": "monthly received count",
                "verbose_name_plural": "monthly received counts",
                "indexes": [
                    models.Index(fields=["month", "org_unit", "type", "status", "n"], name="rollup_received_idx")
                ],
            },
        ),
        migrations.CreateModel(
            name="ResolvedCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="month")),
                ("in_time", models.BooleanField(verbose_name="resolved in time")),
                ("n", models.IntegerField(verbose_name="count")),
                (
                    "org_unit",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.orgunit",
                        verbose_name="owner team",
                    ),
                ),
            ],
            options={
                "verbose_name": "monthly resolved count",
                "verbose_name_plural": "monthly resolved counts",
                "indexes": [models.Index(fields=["month", "org_unit", "in_time", "n"], name="rollup_resolved_idx")],
            },
        ),
        migrations.RunPython(
            vendor_sql({"sqlite": SQLITE, "postgresql": POSTGRES}),
            vendor_sql({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
