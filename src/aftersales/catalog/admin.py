"""Back office for the product archive: product lines and categories are added here; the rest is browsed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from aftersales.catalog import services
from aftersales.catalog.models import (
    CallOutBand,
    FeeSchedule,
    LabourItem,
    ProductCategory,
    ProductLine,
    ProductModel,
    SoldUnit,
    UnitOwnership,
    ValueAddedService,
    WarrantyPolicy,
)
from aftersales.core.admin_base import ReadOnlyAdmin, ServiceCreateAdmin


@admin.register(ProductLine)
class ProductLineAdmin(ServiceCreateAdmin):
    list_display = ("code", "name", "is_active")
    search_fields = ("code", "name")
    fields = ("code", "name")

    def create(self, request: HttpRequest, obj: Any) -> Any:
        return services.product_line_create(actor=request.user, code=obj.code, name=obj.name)


@admin.register(ProductCategory)
class ProductCategoryAdmin(ServiceCreateAdmin):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")
    fields = ("code", "name", "parent")

    def create(self, request: HttpRequest, obj: Any) -> Any:
        return services.product_category_create(actor=request.user, code=obj.code, name=obj.name, parent=obj.parent)


@admin.register(ValueAddedService)
class ValueAddedServiceAdmin(ServiceCreateAdmin):
    list_display = ("name", "product_model", "kind", "months", "visits", "price")
    list_filter = ("kind",)
    fields = ("product_model", "kind", "name", "months", "visits", "price")
    autocomplete_fields = ("product_model",)

    def create(self, request: HttpRequest, obj: Any) -> Any:
        return services.value_added_service_create(
            actor=request.user,
            product_model=obj.product_model,
            kind=obj.kind,
            name=obj.name,
            months=obj.months,
            visits=obj.visits,
            price=obj.price,
        )


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "months", "starts_from", "covers_parts", "covers_labour", "is_active")


@admin.register(ProductModel)
class ProductModelAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "product_line", "warranty_policy", "dealer_price", "market_price", "is_active")
    list_filter = ("product_line", "is_active")
    search_fields = ("code", "name", "brand")
    list_select_related = ("product_line", "warranty_policy")


class OwnershipInline(admin.TabularInline):
    model = UnitOwnership
    extra = 0
    can_delete = False
    readonly_fields = ("customer", "from_date", "to_date", "reason")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SoldUnit)
class SoldUnitAdmin(ReadOnlyAdmin):
    list_display = ("serial", "product_model", "customer", "org_unit", "sale_date", "status")
    list_filter = ("status",)
    search_fields = ("serial", "invoice_no", "voucher_no")
    list_select_related = ("product_model", "customer", "org_unit")
    inlines = [OwnershipInline]
    show_full_result_count = False


class LabourItemInline(admin.TabularInline):
    model = LabourItem
    extra = 0
    can_delete = False
    readonly_fields = ("code", "name", "product_line", "standard_minutes", "price")


class BandInline(admin.TabularInline):
    model = CallOutBand
    extra = 0
    can_delete = False
    readonly_fields = ("from_km", "to_km", "fee")


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ReadOnlyAdmin):
    list_display = ("name", "region", "effective_from")
    inlines = [LabourItemInline, BandInline]
