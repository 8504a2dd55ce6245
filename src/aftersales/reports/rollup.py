"""Upkeep of the dashboard's monthly rollup (reports.models): merging the triggers' delta rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from aftersales.reports.models import ReceivedCount, ResolvedCount
from aftersales.service.models import OpenLoad

# Each table of deltas with the columns that make its key: the dashboard's, and the open requests each
# person holds (kept the same way, read by assignment; merged here with the others).
_TABLES = (
    (ReceivedCount._meta.db_table, ("month", "org_unit_id", "type", "status")),
    (ResolvedCount._meta.db_table, ("month", "org_unit_id", "in_time")),
    (OpenLoad._meta.db_table, ("user_id",)),
)


@dataclass(frozen=True)
class Compacted:
    rows_before: int
    rows_after: int


# PostgreSQL: one statement deletes the rows of every key that has several (or sums to nothing) and
# inserts their sums, so it adds up exactly the rows it deleted: a delta committed meanwhile by a
# concurrent write is not in its snapshot and stays as it is (and a second compaction running at the
# same time skips the rows the first one deleted).
_PG_COMPACT = """
WITH merged AS (
  DELETE FROM {table} WHERE ({key}) IN (
    SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1 OR SUM(n) = 0
  ) RETURNING {key}, n
)
INSERT INTO {table} ({key}, n) SELECT {key}, SUM(n) FROM merged GROUP BY {key} HAVING SUM(n) <> 0
"""

# SQLite (no DELETE … RETURNING in a WITH): its writers take turns, so inside the transaction nobody
# else writes; the rows up to the highest id now are the ones merged (ids only grow: AUTOINCREMENT).
_SQLITE_SUMS = """
INSERT INTO {table} ({key}, n) SELECT {key}, SUM(n) FROM {table} WHERE id <= %s
GROUP BY {key} HAVING COUNT(*) > 1 AND SUM(n) <> 0
"""
_SQLITE_DELETE = """
DELETE FROM {table} WHERE id <= %s AND ({key}) IN (
  SELECT {key} FROM {table} WHERE id <= %s GROUP BY {key} HAVING COUNT(*) > 1 OR SUM(n) = 0
)
"""


def compact() -> Compacted:
    """Replace the rows of each key by one row holding their sum, and drop the keys whose sum is 0, in one
    transaction. The sums the dashboard reads do not change; there are fewer rows to add up."""
    before = after = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns in _TABLES:
            key = ", ".join(columns)
            cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {table}")  # noqa: S608 (our names only)
            count, highest = cursor.fetchone()
            before += count
            if count:
                if connection.vendor == "postgresql":
                    cursor.execute(_PG_COMPACT.format(table=table, key=key))
                else:
                    cursor.execute(_SQLITE_SUMS.format(table=table, key=key), [highest])
                    cursor.execute(_SQLITE_DELETE.format(table=table, key=key), [highest, highest])
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (our names only)
            after += cursor.fetchone()[0]
    return Compacted(rows_before=before, rows_after=after)
