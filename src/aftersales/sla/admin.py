"""Back office for calendars: the PRC schedule (browse), business calendars and company overrides (edit)."""

from __future__ import annotations

from django.contrib import admin

from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.sla.models import BusinessCalendar, CalendarOverride, CoveredYear, PublicDay


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


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "calendar", "is_working", "note")
    list_filter = ("is_working", "calendar")
