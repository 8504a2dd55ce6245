"""Template filters of the import pages: status badges."""

from __future__ import annotations

from django import template

from aftersales.exchange.models import ImportStatus

register = template.Library()

_BADGES: dict[str, str] = {
    ImportStatus.UPLOADED: "bg-blue-lt",
    ImportStatus.VALIDATING: "bg-blue-lt",
    ImportStatus.VALIDATED: "bg-azure-lt",
    ImportStatus.IMPORTING: "bg-purple-lt",
    ImportStatus.DONE: "bg-green-lt",
    ImportStatus.FAILED: "bg-red-lt",
}


@register.filter
def status_badge(status: str) -> str:
    return _BADGES.get(status, "bg-secondary-lt")
