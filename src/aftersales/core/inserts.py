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

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

from aftersales.core import config_cache

_statements: dict[tuple[str, int, bool], tuple[str, list[Field[Any, Any]]]] = {}
# Statements of up to this many rows are kept (the create path writes one to three rows of a kind);
# longer ones are built for the call, so the cache stays small whatever the callers send.
MAX_CACHED_ROWS = 16


def _statement(model: type[Model], rows: int, returning: bool) -> tuple[str, list[Field[Any, Any]]]:
    key = (model._meta.label, rows, returning)
    found = _statements.get(key)
    if found is not None:
        return found
    opts = model._meta
    connection = connections[DEFAULT_DB_ALIAS]
    # As Model._do_insert: every local column but the auto-increment key (the database picks it).
    fields: list[Field[Any, Any]] = [f for f in opts.local_concrete_fields if f is not opts.auto_field]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)}"
    )
    if returning:
        sql += f" RETURNING {quote(opts.pk.column)}"
    if rows <= MAX_CACHED_ROWS:
        _statements[key] = (sql, fields)
    return sql, fields


def insert(objs: Sequence[Model], *, returning_pk: bool = False) -> None:
    """INSERT these new instances (all of one model) in one statement; with `returning_pk` their
    primary keys are set from the database (SQLite ≥ 3.35 and PostgreSQL both return them)."""
    if not objs:
        return
    model = type(objs[0])
    if model._meta.auto_field is None and returning_pk:
        raise ValueError(f"{model._meta.label} has no auto-increment key to return")
    if config_cache.is_watched(model):
        raise ValueError(f"{model._meta.label} is cached configuration: save it through the ORM")
    sql, fields = _statement(model, len(objs), returning_pk)
    # The wrapper itself, not the `django.db.connection` proxy: each field's conversion asks it for
    # its operations, and through the proxy every ask is a context-local lookup.
    connection = connections[DEFAULT_DB_ALIAS]
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model:
            raise TypeError("insert() takes instances of one model")
        if model._meta.auto_field is not None and obj.pk is not None:
            # The statement leaves the auto-increment key to the database: a key set by hand would be lost.
            raise ValueError(f"{model._meta.label} {obj.pk}: insert() takes new rows without a primary key")
        # As save() and bulk_create: refuse an unsaved related object (its key would be lost as NULL)
        # and take the key of one saved since it was assigned.
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()] if returning_pk else []
    for i, obj in enumerate(objs):
        if returning_pk:
            obj.pk = ids[i]
        obj._state.adding = False
        obj._state.db = connection.alias
