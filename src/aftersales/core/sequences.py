"""Gap-tolerant counters for human-readable numbers, one upsert statement per number.

`INSERT … ON CONFLICT DO UPDATE … RETURNING` works on SQLite ≥ 3.35 and PostgreSQL and takes one
round trip (the `get_or_create` + `F()` + refresh pattern took three; shared/research/create_path.md).
Call it inside the transaction that uses the number: a rollback gives the number back.

`reserve()` takes a number and the primary key of the row that will carry it ahead of that row's write
transaction, in a short transaction of its own, so that everything made of them — timeline, audit,
search text, messages — is built before the write begins, not while it holds the database's write lock
(SQLite) or the counter's row (PostgreSQL). Its price: a write that then fails leaves a gap.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Model

from aftersales.core.models import Sequence

_TABLE = Sequence._meta.db_table


def next_value(name: str, *, count: int = 1) -> int:
    """Reserve `count` numbers of the sequence `name`; returns the last one reserved."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (name, value) VALUES (%s, %s) "  # noqa: S608 (table name is ours)
            f"ON CONFLICT (name) DO UPDATE SET value = {_TABLE}.value + excluded.value RETURNING value",
            [name, count],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def next_code(name: str, prefix: str, *, width: int = 8) -> str:
    return f"{prefix}{next_value(name):0{width}d}"


class Reserved(NamedTuple):
    value: int  # the counter's new value
    pk: int  # a primary key of the model that no other row will get


# PostgreSQL: the counter and the key in one statement. Outside a caller's transaction it is a
# transaction of its own, committed without waiting for the WAL to reach the disk
# (`synchronous_commit` off for it alone): nothing is lost by that, because a row using the reserved
# values can only be committed durably after this commit is on disk — the WAL is written in order.
_PG_RESERVE = (
    f"WITH counter AS (INSERT INTO {_TABLE} (name, value) VALUES (%s, 1) "  # noqa: S608 (our table)
    f"ON CONFLICT (name) DO UPDATE SET value = {_TABLE}.value + 1 RETURNING value) "
    "SELECT counter.value, nextval(pg_get_serial_sequence(%s, %s)){async_commit} FROM counter"
)
# SQLite: a table's AUTOINCREMENT key comes from `sqlite_sequence` (the largest key it ever gave, or the
# largest in the table if that is larger): raising it there keeps every later insert — the ORM's too —
# off the reserved key. An ordinary table for SQLite, written only in a write transaction.
_SQLITE_KEY = "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = %s RETURNING seq"
_SQLITE_FIRST_KEY = (
    "INSERT INTO sqlite_sequence (name, seq) SELECT %s, COALESCE(MAX({pk}), 0) + 1 FROM {table} RETURNING seq"
)


def reserve(name: str, model: type[Model]) -> Reserved:
    """The next value of the counter `name` and a primary key for a new row of `model` (which must
    have an auto-increment key), committed before the caller writes that row with them (core.inserts
    `rows(..., keyed=True)` or `insert(..., keyed=True)`). Inside a caller's transaction they are part
    of it."""
    auto = model._meta.auto_field
    if auto is None:
        raise ValueError(f"{model._meta.label} has no auto-increment key to reserve")
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        # Outside a transaction the statement is one of its own (autocommit): one round trip, and the
        # setting holds for its commit alone (measured: 0.2 ms against 0.5-0.6 ms waiting for the disk).
        own = connection.get_autocommit()  # False inside an atomic block
        sql = _PG_RESERVE.format(async_commit=", set_config('synchronous_commit', 'off', true)" if own else "")
        with connection.cursor() as cursor:
            cursor.execute(sql, [name, table, auto.column])
            row = cursor.fetchone()
        assert row is not None
        return Reserved(int(row[0]), int(row[1]))
    with transaction.atomic(), connection.cursor() as cursor:
        value = next_value(name)
        cursor.execute(_SQLITE_KEY, [table])
        found = cursor.fetchall()
        if not found:
            quote = connection.ops.quote_name
            cursor.execute(_SQLITE_FIRST_KEY.format(pk=quote(auto.column), table=quote(table)), [table])
            found = cursor.fetchall()
    return Reserved(value, int(found[0][0]))
