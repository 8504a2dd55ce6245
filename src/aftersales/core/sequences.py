"""Gap-tolerant counters for human-readable numbers, one upsert statement per number.

`INSERT … ON CONFLICT DO UPDATE … RETURNING` works on SQLite ≥ 3.35 and PostgreSQL and takes one
round trip (the `get_or_create` + `F()` + refresh pattern took three; shared/research/create_path.md).
Call it inside the transaction that uses the number: a rollback gives the number back.
"""

from __future__ import annotations

from django.db import connection

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
