"""Who may see and export customers' personal data (PIPL)."""

from __future__ import annotations

from typing import Any


def can_view_personal_data(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.has_perm("customers.view_personal_data"))


def can_export_personal_data(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.has_perm("customers.export_personal_data"))
