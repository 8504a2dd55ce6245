"""Back office for service requests: fault trees, assignment rules and availability are edited here;
requests themselves only through the workbench and the API."""

from __future__ import annotations

from django.contrib import admin

from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.service.models import AssignmentRule, FaultCategory, ServiceRequest, StaffAvailability


@admin.register(FaultCategory)
class FaultCategoryAdmin(admin.ModelAdmin):
    """The fault tree per product line is reference data the after-sales department maintains."""

    list_display = ("code", "name", "product_line", "parent", "is_active")
    list_filter = ("product_line", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # deactivate instead: requests keep pointing at old categories


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "request_type",
        "product_line",
        "within_unit",
        "target_unit",
        "strategy",
        "is_active",
    )
    list_filter = ("strategy", "is_active", "request_type")
    ordering = ("priority", "id")


@admin.register(StaffAvailability)
class StaffAvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "on_duty", "skills", "max_open")
    list_filter = ("on_duty",)
    search_fields = ("user__username", "user__full_name", "skills")
    autocomplete_fields = ("user",)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ("number", "type", "status", "urgency", "customer", "org_unit", "assignee", "received_at")
    list_filter = ("status", "type", "urgency", "channel")
    search_fields = ("number",)
    list_select_related = ("customer", "org_unit", "assignee")
    show_full_result_count = False
