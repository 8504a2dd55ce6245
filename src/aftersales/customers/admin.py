"""Back office for the customer archive: browse and search (masked); edits happen on the customer pages."""

from __future__ import annotations

from django.contrib import admin

from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.customers.models import Customer, CustomerTag


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "tier", "org_unit", "owner", "is_active", "merged_into", "created_at")
    list_filter = ("kind", "tier", "is_active", "source_channel")
    search_fields = ("code", "name")
    # Phones, addresses and contacts are personal data: shown (masked) only on the customer pages.
    exclude = ("preferences",)
    list_select_related = ("org_unit", "owner", "merged_into")
    show_full_result_count = False


@admin.register(CustomerTag)
class CustomerTagAdmin(ReadOnlyAdmin):
    search_fields = ("name",)
