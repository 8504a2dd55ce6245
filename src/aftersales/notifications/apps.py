"""Notifications: a durable outbox delivered by the background worker (e-mail, SMS/WeChat webhook)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "aftersales.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from aftersales.core.config_cache import watch
        from aftersales.notifications.models import NotificationTemplate

        watch(NotificationTemplate)  # templates are cached per process (core.config_cache)
