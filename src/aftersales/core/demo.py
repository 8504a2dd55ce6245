"""Demo data: each app contributes its part through `register`; `manage.py demo` runs them in order.

Contributors live in `<app>/demo.py` (discovered like admin modules). They get one shared
`DemoContext`, deterministic from the seed, and must use bulk inserts so that `--scale large`
stays fast. `--scale bench` (1,000,000 service requests) is another path: contributors check
`ctx.scale.bulk`, keep plain tuples instead of model instances, draw text from precomputed pools
and write through `BulkWriter` (raw `executemany` on SQLite, `COPY` on PostgreSQL), chunk by chunk.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, models, transaction
from faker import Faker


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


@dataclass(frozen=True)
class Scale:
    name: str
    factor: int  # multiplies the per-app base counts

    @property
    def bulk(self) -> bool:
        """The benchmark scale takes the raw bulk path; a test runs it with a small factor."""
        return self.name == "bench"


SCALES = {
    "small": Scale("small", 1),
    "medium": Scale("medium", 10),
    "large": Scale("large", 200),
    # 200,000 customers, ~300,000 sold units, 1,000,000 service requests over 24 months.
    "bench": Scale("bench", 400),
}


def _this_hour() -> dt.datetime:
    # The hour, not the second: two loads within the same hour produce the same rows.
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class DemoContext:
    seed: int
    scale: Scale
    out: Writer
    rng: random.Random = field(init=False)
    faker: Faker = field(init=False)
    # Contributors share what they made (e.g. "units", "staff_by_role") for later contributors.
    shared: dict[str, Any] = field(default_factory=dict)
    # "Now" for the bench data (aware, UTC): requests are spread over the months before it and the
    # open ones have time limits around it. Same seed and same `now` give the same rows.
    now: dt.datetime = field(default_factory=_this_hour)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (deterministic demo data, not secrets)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(self.seed)

    def n(self, base: int) -> int:
        return base * self.scale.factor

    def log(self, message: str) -> None:
        self.out.write(message + "\n")

    @contextmanager
    def timed(self, label: str) -> Iterator[None]:
        """Log how long a part took (the bench scale's progress lines)."""
        started = time.monotonic()
        yield
        self.log(f"    {label}: {time.monotonic() - started:.1f}s")


class BulkWriter:
    """Raw chunked inserts for the bench scale: `executemany` on SQLite, `COPY` on PostgreSQL.

    Rows are plain tuples in the order of `columns` (attribute names such as `customer_id`); every
    other concrete column gets its field default, converted once, so a new field with a default does
    not break the loader. Values must be ones both databases take as they are: str, int, bool, None,
    dates as ISO strings, decimals as strings, and datetimes through `when` (naive UTC in; Django's
    own text form on SQLite, an aware datetime for psycopg). Each chunk is written in its own
    `atomic` block (a savepoint when the caller holds a transaction).
    """

    def __init__(self, ctx: DemoContext, *, chunk: int = 20_000) -> None:
        connection.ensure_connection()
        self.ctx = ctx
        self.chunk = chunk
        self.vendor = connection.vendor
        self._with_ids: list[str] = []
        self.when: Callable[[dt.datetime | None], Any] = self._when_sqlite if self.vendor == "sqlite" else _aware

    @staticmethod
    def _when_sqlite(value: dt.datetime | None) -> str | None:
        # What Django's SQLite backend stores for an aware datetime: naive UTC, `str()`-formatted.
        return None if value is None else str(value)

    def next_id(self, model: type[models.Model]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")  # noqa: S608 (our table)
            row = cursor.fetchone()
        assert row is not None
        return int(row[0])

    def insert(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert `rows`; returns how many. An explicit `id` column moves the PostgreSQL sequence on
        (at `finish`); SQLite's AUTOINCREMENT follows explicit ids by itself."""
        meta = model._meta
        given = set(columns)
        fixed_columns, fixed_values = [], []
        for f in meta.concrete_fields:
            if f.attname in given or (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField)):
                continue
            value = f.get_db_prep_save(f.get_default(), connection)
            if value is None and not f.null:
                raise ValueError(f"{meta.label}.{f.attname} has no default: give it a value")
            fixed_columns.append(f.column)
            fixed_values.append(value)
        column_of = {f.attname: f.column for f in meta.concrete_fields}
        names = [column_of[c] for c in columns]
        all_columns = ", ".join(connection.ops.quote_name(c) for c in [*names, *fixed_columns])
        if "id" in given and meta.db_table not in self._with_ids:
            self._with_ids.append(meta.db_table)
        extra = tuple(fixed_values)
        count = 0
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, self.chunk)):
            if extra:
                chunk = [row + extra for row in chunk]
            with transaction.atomic():
                if self.vendor == "postgresql":
                    sql = f"COPY {meta.db_table} ({all_columns}) FROM STDIN"
                    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
                        for row in chunk:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["?"] * (len(names) + len(fixed_columns)))
                    connection.connection.executemany(
                        f"INSERT INTO {meta.db_table} ({all_columns}) VALUES ({marks})",  # noqa: S608 (our table)
                        chunk,
                    )
            count += len(chunk)
        return count

    @contextmanager
    def indexes_deferred(self, *tables: type[models.Model]) -> Iterator[None]:
        """Load these tables without their plain (non-unique) indexes and make those again at the end
        from their own stored definitions, so the schema ends as the migrations made it: one sort per
        index instead of a random b-tree insert per row and index, several times faster at a million
        rows. On PostgreSQL their foreign keys go the same way (as pg_restore does): adding one back
        checks every row with one join instead of a trigger call per row. Unique indexes and the other
        constraints stay and check every row. Needs a transaction, so that a failure rolls the
        dropped definitions back with the rows."""
        if not connection.in_atomic_block:
            raise RuntimeError("indexes_deferred needs a transaction (transaction.atomic)")
        names = [m._meta.db_table for m in tables]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # Foreign key checks still pending from earlier inserts would block the ALTERs: run them.
                connection.check_constraints()
                cursor.execute(
                    "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con "
                    "JOIN pg_class c ON c.oid = con.conrelid WHERE con.contype = 'f' "
                    "AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s) ORDER BY 1, 2",
                    [names],
                )
                keys = cursor.fetchall()
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE %%' ORDER BY tablename, indexname",
                    [names],
                )
                indexes = cursor.fetchall()
                drop = [f"ALTER TABLE {quote(t)} DROP CONSTRAINT {quote(c)}" for t, c, _d in keys]
                restore = [f"ALTER TABLE {quote(t)} ADD CONSTRAINT {quote(c)} {d}" for t, c, d in keys]
                # Sorting for the index builds wants more than the default 64 MB.
                drop.append("SET maintenance_work_mem = '512MB'")
                restore.append("RESET maintenance_work_mem")
            else:
                marks = ", ".join(["%s"] * len(names))
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                    f"AND sql NOT LIKE 'CREATE UNIQUE %%' AND tbl_name IN ({marks}) ORDER BY tbl_name, name",
                    names,
                )
                indexes = cursor.fetchall()
                # The unique indexes and the sorts want more than the default 2 MB of page cache.
                cursor.execute("PRAGMA cache_size")
                row = cursor.fetchone()
                drop = ["PRAGMA cache_size = -262144"]
                restore = [f"PRAGMA cache_size = {int(row[0]) if row else -2000}"]
            drop[:0] = [f"DROP INDEX {quote(name)}" for name, _definition in indexes]
            restore[:0] = [definition for _name, definition in indexes]
            for statement in drop:
                cursor.execute(statement)
        yield
        started = time.monotonic()
        with connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)
        self.ctx.log(
            f"    {len(indexes)} indexes{' and foreign keys' if self.vendor == 'postgresql' else ''} of "
            f"{', '.join(names)} made again: {time.monotonic() - started:.1f}s"
        )

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the explicit ids that were inserted."""
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table in self._with_ids:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), MAX(id)) FROM {table}",  # noqa: S608
                    [table],
                )
        self._with_ids.clear()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Contributor:
    order: int
    name: str
    fn: Callable[[DemoContext], None]


_registry: dict[str, Contributor] = {}


def register(*, order: int, name: str) -> Callable[[Callable[[DemoContext], None]], Callable[[DemoContext], None]]:
    def decorate(fn: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        _registry[name] = Contributor(order=order, name=name, fn=fn)
        return fn

    return decorate


def contributors() -> list[Contributor]:
    return sorted(_registry.values(), key=lambda c: (c.order, c.name))
