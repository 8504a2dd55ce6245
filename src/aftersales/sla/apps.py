"""Time limits (SLA): the PRC working-day calendar, business calendars and working-time arithmetic."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "aftersales.sla"
    label = "sla"
    verbose_name = _("Time limits")

    def ready(self) -> None:
        from aftersales.core.config_cache import watch
        from aftersales.sla import models

        # Calendars and policies are read by every new request and cached per process (core.config_cache).
        for model in (
            models.PublicDay,
            models.CoveredYear,
            models.BusinessCalendar,
            models.UnitCalendar,
            models.CalendarOverride,
            models.SlaPolicy,
            models.SlaTarget,
        ):
            watch(model)
