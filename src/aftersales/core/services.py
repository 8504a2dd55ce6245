"""Writes of the shared kernel: reference data."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import connection, transaction

from aftersales.core.regions import full_names, read_divisions


def regions_load(*, apps: object = global_apps) -> tuple[int, int]:
    """Insert new divisions and rename changed ones; never deletes (records may point at old codes)."""
    region_model = apps.get_model("core", "Region")  # type: ignore[attr-defined]
    divisions = list(read_divisions())
    names = full_names(divisions)
    existing = {r.code: r for r in region_model.objects.all()}
    new, changed = [], []
    for d in divisions:
        row = existing.get(d.code)
        if row is None:
            new.append(
                region_model(code=d.code, name=d.name, level=d.level, parent_id=d.parent_code, full_name=names[d.code])
            )
        elif (row.name, row.parent_id, row.full_name) != (d.name, d.parent_code, names[d.code]):
            row.name, row.parent_id, row.full_name = d.name, d.parent_code, names[d.code]
            changed.append(row)
    with transaction.atomic():
        region_model.objects.bulk_create(new, batch_size=1000)
        region_model.objects.bulk_update(changed, ["name", "parent", "full_name"], batch_size=1000)
    return len(new), len(changed)


def database_analyse() -> str:
    """Gather the planner's statistics of every table (SQLite: ANALYZE then PRAGMA optimize; PostgreSQL:
    ANALYZE). Safe while the product runs; the figures only guide plans, they change no data."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
    return connection.vendor
