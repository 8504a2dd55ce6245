"""Raw SQL in migrations that differs by database: `RunPython(vendor_sql({...}), vendor_sql({...}))`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def vendor_sql(statements_by_vendor: Mapping[str, Sequence[str]]) -> Callable[[Any, Any], None]:
    """A RunPython function executing the statements listed for the connection's vendor (none for others)."""

    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def single_column_indexes(app_label: str, model_name: str, columns: Sequence[str]) -> Any:
    """A migration operation dropping the single-column indexes of `columns` by name (and making them
    again when unapplied): Django would change `db_index` by rebuilding the table on SQLite, minutes at a
    million rows. Pair it with the fields' `db_index=False` as state operations
    (`SeparateDatabaseAndState`)."""
    from django.db import migrations

    def drop(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for column in columns:
            for name in schema_editor._constraint_names(model, [column], index=True, primary_key=False, unique=False):
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def create(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for column in columns:
            field = next(f for f in model._meta.local_fields if f.column == column)
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.RunPython(drop, create)


def postgresql_like_indexes(app_label: str, model_name: str, fields: Sequence[str]) -> Any:
    """A migration operation dropping the `…_like` indexes PostgreSQL gets beside the index of a unique
    or indexed text field (`varchar_pattern_ops`, for `LIKE 'prefix%'`), and making them again when
    unapplied. Where nothing filters by prefix they are only written; on SQLite there are none. Django
    drops them with `IF EXISTS` when it alters such a field later."""
    from django.db import migrations

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        for name in fields:
            column = model._meta.get_field(name).column
            index = schema_editor._create_index_name(model._meta.db_table, [column], suffix="_like")
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")

    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        for name in fields:
            statement = schema_editor._create_like_index_sql(model, model._meta.get_field(name))
            if statement is not None:
                schema_editor.execute(statement)

    return migrations.RunPython(drop, create)


def field_index_dropped(app_label: str, model_name: str, name: str, field: Any) -> Any:
    """The migration of a field's `db_index=True` to False: in the state, the field as `field` (without
    the index); in the database, its single-column index dropped by name (single_column_indexes)."""
    from django.db import migrations

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
        database_operations=[single_column_indexes(app_label, model_name, [name])],
    )
