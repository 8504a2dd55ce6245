"""Customer archive (客户档案): individuals and companies, contacts, phones, addresses, tiers, merge."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "aftersales.customers"
    label = "customers"
    verbose_name = _("Customer archive")
