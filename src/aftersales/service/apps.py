"""Service requests (服务单): intake, lifecycle, dispatch, escalation, timeline."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "aftersales.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from aftersales.service import notifications, timers

        notifications.register()
        timers.register()
