"""Service requests (服务单): intake, lifecycle, dispatch, escalation, timeline."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "aftersales.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from aftersales.core.config_cache import watch
        from aftersales.service import notifications, timers
        from aftersales.service.models import AssignmentRule, StaffAvailability

        notifications.register()
        timers.register()
        # Rules and who is on duty are cached per process (core.config_cache); where a round-robin rule
        # left off is read live.
        watch(AssignmentRule, ignore_fields=("last_assigned",))
        watch(StaffAvailability)
