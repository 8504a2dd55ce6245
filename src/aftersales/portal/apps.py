"""The customer portal (客户门户) and scan-to-report (扫码报修): the customer's side of service requests."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "aftersales.portal"
    label = "portal"
    verbose_name = _("Customer portal")
