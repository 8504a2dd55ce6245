"""Time limits (SLA): the PRC working-day calendar, business calendars and working-time arithmetic."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "aftersales.sla"
    label = "sla"
    verbose_name = _("Time limits")
