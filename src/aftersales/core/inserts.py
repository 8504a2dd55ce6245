"""INSERT of new model instances with the statement text built once per shape.

`Model.save(force_insert=True)` and `bulk_create` compile their INSERT anew on every call; on the create
path of a service request (eight rows in six tables) that compiling cost more than the statements
themselves. `insert()` keeps one statement text per (table, row count, RETURNING or not) and converts
the values exactly as Django's insert compiler does — `pre_save` (so `auto_now`/`auto_now_add` are
set) then `get_db_prep_save` (JSON, dates, booleans per database) — so the rows are the ones the ORM
would write. It sends no signals: use it only for models nothing listens to (the core.config_cache
models are refused).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from aftersales.core import config_cache

Converter = Callable[[Model, BaseDatabaseWrapper], Any]
_statements: dict[tuple[str, int, bool, bool], tuple[str, list[Converter]]] = {}
# Statements of up to this many rows are kept (the create path writes one to three rows of a kind);
# longer ones are built for the call, so the cache stays small whatever the callers send.
MAX_CACHED_ROWS = 16


# Fields whose database value is the attribute itself when it has the expected Python type (their
# get_prep_value is int()/str()/bool() and the backends adapt these types as they are).
_PLAIN: dict[type, type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def _converter(field: Field[Any, Any]) -> Converter:
    """The value `field` writes for an instance: `pre_save` then `get_db_prep_save`, as the ORM's insert
    does — with a short way for the plain kinds above, a foreign key to an integer key, and an aware
    datetime (about half of a create's conversion time went to those calls' generic machinery)."""
    attname = field.attname
    generic_prep = field.get_db_prep_save
    has_pre_save = type(field).pre_save is not Field.pre_save  # auto_now and the like

    def generic(obj: Model, connection: BaseDatabaseWrapper) -> Any:
        return generic_prep(field.pre_save(obj, True), connection)

    if has_pre_save and not isinstance(field, models.DateTimeField):
        return generic
    kind = type(field)
    expected: type | None
    if isinstance(field, models.ForeignKey):
        expected = int if _PLAIN.get(type(field.target_field)) is int else None
    else:
        expected = _PLAIN.get(kind)
    if expected is not None:

        def fast_plain(obj: Model, connection: BaseDatabaseWrapper) -> Any:
            value = getattr(obj, attname)
            if value is None or type(value) is expected:
                return value
            return generic_prep(value, connection)

        return fast_plain
    if kind is models.DateTimeField:
        pre_save = field.pre_save

        def fast_datetime(obj: Model, connection: BaseDatabaseWrapper) -> Any:
            value = pre_save(obj, True) if has_pre_save else getattr(obj, attname)
            if type(value) is dt.datetime and value.tzinfo is not None:
                if connection.vendor == "sqlite" and connection.timezone is not None:
                    # What the SQLite backend's adapt_datetimefield_value makes of it (USE_TZ is on:
                    # there is a time zone), without its settings lookups: a create writes 38 of them.
                    return str(value.astimezone(connection.timezone).replace(tzinfo=None))
                return connection.ops.adapt_datetimefield_value(value)
            return generic_prep(value, connection)

        return fast_datetime
    return generic


def _statement(model: type[Model], rows: int, returning: bool, keyed: bool) -> tuple[str, list[Converter]]:
    key = (model._meta.label, rows, returning, keyed)
    found = _statements.get(key)
    if found is not None:
        return found
    opts = model._meta
    connection = connections[DEFAULT_DB_ALIAS]
    # As Model._do_insert: every local column but the auto-increment key (the database picks it) unless
    # the rows carry keys reserved for them.
    fields: list[Field[Any, Any]] = [f for f in opts.local_concrete_fields if keyed or f is not opts.auto_field]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)}"
    )
    if returning:
        sql += f" RETURNING {quote(opts.pk.column)}"
    converters = [_converter(f) for f in fields]
    if rows <= MAX_CACHED_ROWS:
        _statements[key] = (sql, converters)
    return sql, converters


class Rows:
    """New instances turned into their INSERT — statement and converted values — ready to be written.
    Made by `rows()` before a transaction, written by `write()` inside it: the converting (about a third
    of an insert's time) then stays out of SQLite's write lock."""

    __slots__ = ("model", "objs", "sql", "params", "returning")

    def __init__(
        self, model: type[Model] | None, objs: Sequence[Model], sql: str, params: list[Any], returning: bool
    ) -> None:
        self.model, self.objs, self.sql, self.params, self.returning = model, objs, sql, params, returning

    def of(self, model: type[Model]) -> bool:
        """Whether these are rows of `model` (no rows at all are of every model)."""
        return self.model is None or self.model is model

    def write(self) -> None:
        """Run the statement (once: the rows are then saved)."""
        if not self.objs:
            return
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            ids = [row[0] for row in cursor.fetchall()] if self.returning else []
        for i, obj in enumerate(self.objs):
            if self.returning:
                obj.pk = ids[i]
            obj._state.adding = False
            obj._state.db = connection.alias
        self.objs = ()


def rows(objs: Sequence[Model], *, returning_pk: bool = False, keyed: bool = False) -> Rows:
    """The INSERT of these new instances (all of one model), converted now and written by
    `Rows.write()`; with `returning_pk` their primary keys are set from the database when written
    (SQLite ≥ 3.35 and PostgreSQL both return them); with `keyed` each row brings the key
    `core.sequences.reserve` gave it. `auto_now` fields take the time of this call."""
    if not objs:
        return Rows(None, (), "", [], False)
    model = type(objs[0])
    if model._meta.auto_field is None and (returning_pk or keyed):
        raise ValueError(f"{model._meta.label} has no auto-increment key to return or to reserve")
    if returning_pk and keyed:
        raise ValueError("rows that bring their keys have none to return")
    if config_cache.is_watched(model):
        raise ValueError(f"{model._meta.label} is cached configuration: save it through the ORM")
    sql, converters = _statement(model, len(objs), returning_pk, keyed)
    connection = connections[DEFAULT_DB_ALIAS]
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model:
            raise TypeError("insert() takes instances of one model")
        if keyed and obj.pk is None:
            raise ValueError(f"{model._meta.label}: a keyed insert takes rows with their reserved keys")
        if not keyed and model._meta.auto_field is not None and obj.pk is not None:
            # The statement leaves the auto-increment key to the database: a key set by hand would be lost.
            raise ValueError(f"{model._meta.label} {obj.pk}: insert() takes new rows without a primary key")
        # As save() and bulk_create: refuse an unsaved related object (its key would be lost as NULL)
        # and take the key of one saved since it was assigned (or reserved for it).
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
        params.extend([convert(obj, connection) for convert in converters])
    return Rows(model, list(objs), sql, params, returning_pk)


def insert(objs: Sequence[Model], *, returning_pk: bool = False, keyed: bool = False) -> None:
    """INSERT these new instances (all of one model) in one statement now: `rows(...).write()`."""
    rows(objs, returning_pk=returning_pk, keyed=keyed).write()
