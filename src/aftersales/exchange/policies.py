"""Who may import and export what: the permission each kind of file needs."""

from __future__ import annotations

from typing import Any

from aftersales.exchange.models import ImportKind

# Importing creates records, so it needs the add permission of what is created.
IMPORT_PERMS: dict[str, str] = {
    ImportKind.CUSTOMERS: "customers.add_customer",
    ImportKind.PRODUCT_MODELS: "catalog.add_productmodel",
    ImportKind.UNITS: "catalog.add_soldunit",
    ImportKind.LABOUR_ITEMS: "catalog.add_feeschedule",
}

EXPORT_KINDS = ("customers", "units", "product_models", "orders", "labour_items")

# Exporting a list needs the permission to view it (personal data needs more: see `customers.policies`).
EXPORT_PERMS: dict[str, str] = {
    "customers": "customers.view_customer",
    "units": "catalog.view_soldunit",
    "product_models": "catalog.view_productmodel",
    "orders": "sales.view_salesorder",
    "labour_items": "catalog.view_feeschedule",
}

# Seeing the import pages and the reports of the jobs of one's own units: whoever may import
# something, and roles given this permission to read the reports (auditors).
VIEW_JOBS_PERM = "exchange.view_importjob"


def _staff(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def can_import(actor: Any, kind: str) -> bool:
    return _staff(actor) and kind in IMPORT_PERMS and bool(actor.has_perm(IMPORT_PERMS[kind]))


def importable_kinds(actor: Any) -> list[str]:
    return [kind for kind in ImportKind.values if can_import(actor, kind)]


def can_export(actor: Any, kind: str) -> bool:
    return _staff(actor) and kind in EXPORT_PERMS and bool(actor.has_perm(EXPORT_PERMS[kind]))


def exportable_kinds(actor: Any) -> list[str]:
    return [kind for kind in EXPORT_KINDS if can_export(actor, kind)]


def can_view_jobs(actor: Any) -> bool:
    return _staff(actor) and (bool(actor.has_perm(VIEW_JOBS_PERM)) or bool(importable_kinds(actor)))
