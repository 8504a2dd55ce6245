"""Product archive (产品档案): categories, models, warranty policies, sold units; the service fee schedule."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "aftersales.catalog"
    label = "catalog"
    verbose_name = _("Product archive and fees")

    def ready(self) -> None:
        from aftersales.catalog.services import units_merge_customer
        from aftersales.customers.hooks import register_merge_handler

        register_merge_handler("catalog", units_merge_customer)
