"""Back office for calendars: the PRC schedule (browse), business calendars and company overrides (edit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.core.errors import DomainError
from aftersales.sla.models import (
    BusinessCalendar,
    CalendarOverride,
    CoveredYear,
    PublicDay,
    SlaPolicy,
    SlaTarget,
    UnitCalendar,
)
from aftersales.sla.services import sla_presets_load, unit_calendar_set


@admin.register(PublicDay)
class PublicDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind", "source")
    date_hierarchy = "date"


@admin.register(CoveredYear)
class CoveredYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "source", "note")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "intervals", "always_open", "weekend_working", "is_default")


@admin.register(UnitCalendar)
class UnitCalendarAdmin(admin.ModelAdmin):
    """Which working hours each org unit's time limits count on (units below inherit them)."""

    list_display = ("org_unit", "calendar")
    list_select_related = ("org_unit", "calendar")
    search_fields = ("org_unit__name", "org_unit__code")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = unit_calendar_set(actor=request.user, org_unit_id=obj.org_unit_id, calendar_id=obj.calendar_id)
        except DomainError as exc:
            self.message_user(request, exc.message + " " + "; ".join(e.message for e in exc.errors), messages.ERROR)
            return
        if saved is not None:
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        unit_calendar_set(actor=request.user, org_unit_id=obj.org_unit_id, calendar_id=None)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UnitCalendar]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "calendar", "is_working", "note")
    list_filter = ("is_working", "calendar")


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 1


def _filled(field: str) -> Case:
    return Case(When(**{field: ""}, then=Value(0)), default=Value(1), output_field=IntegerField())


def _criteria() -> Any:
    """How many criteria a policy sets (its specificity), as a database expression."""
    return (
        _filled("request_type")
        + _filled("urgency")
        + _filled("customer_tier")
        + _filled("channel")
        + Case(When(product_line__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Policies in the order they are tried: the most specific first, then by priority."""

    list_display = (
        "name",
        "criteria_count",
        "priority",
        "request_type",
        "urgency",
        "customer_tier",
        "product_line",
        "channel",
        "is_active",
    )
    list_filter = ("is_active", "request_type", "urgency")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaPolicy]:
        return super().get_queryset(request).annotate(criteria=_criteria())

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The list shows the policies in the order a request tries them (sla.rules.policy_order).
        return [_criteria().desc(), "priority", "id"]

    @admin.display(description=_("criteria"))
    def criteria_count(self, obj: SlaPolicy) -> int:
        return int(getattr(obj, "criteria", 0))

    inlines = [SlaTargetInline]
    actions = ["load_presets"]

    @admin.action(description=_("Load the documents' default time limits"))
    def load_presets(self, request: HttpRequest, queryset: QuerySet[SlaPolicy]) -> None:
        created = sla_presets_load(actor=request.user)
        self.message_user(request, str(_("%(n)s policies created.")) % {"n": created}, messages.SUCCESS)
