"""The UI shell: base layout, navigation, sign-in, home page and the foundation's pages."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "aftersales.web"
    label = "web"
    verbose_name = _("Web UI")
