"""Back office for sales: browse orders and contracts (writes happen on the sales pages and API)."""

from __future__ import annotations

from django.contrib import admin

from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.sales.models import SalesOrder, SalesOrderLine, ServiceContract


class LineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    can_delete = False
    readonly_fields = ("product_model", "quantity", "unit_price", "amount")


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "customer",
        "org_unit",
        "sales_staff",
        "order_date",
        "total",
        "payment_status",
        "delivery_status",
    )
    list_filter = ("payment_status", "delivery_status")
    search_fields = ("number", "customer__name")
    date_hierarchy = "order_date"
    list_select_related = ("customer", "org_unit", "sales_staff")
    inlines = [LineInline]
    show_full_result_count = False


@admin.register(ServiceContract)
class ServiceContractAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "org_unit", "starts_on", "ends_on", "service_level", "status", "price")
    list_filter = ("status", "service_level")
    search_fields = ("number", "customer__name")
    list_select_related = ("customer", "org_unit")
