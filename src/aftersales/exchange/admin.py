"""Back office: import jobs, read-only (they change only through the import services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from aftersales.exchange.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "original_name",
        "status",
        "mode",
        "rows_total",
        "rows_invalid",
        "rows_imported",
        "org_unit",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status", "mode")
    search_fields = ("original_name",)
    list_select_related = ("org_unit", "created_by")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
