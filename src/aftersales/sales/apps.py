"""Sales orders (销售订单) and service contracts (售后服务协议)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "aftersales.sales"
    label = "sales"
    verbose_name = _("Sales orders and service contracts")

    def ready(self) -> None:
        from aftersales.catalog.hooks import register_extension_provider
        from aftersales.customers.hooks import register_merge_handler
        from aftersales.sales.services import contract_extension_for_unit, orders_merge_customer

        register_merge_handler("sales", orders_merge_customer)
        register_extension_provider("contracts", contract_extension_for_unit)
