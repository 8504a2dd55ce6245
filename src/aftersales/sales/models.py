"""Sales orders — what was sold, to whom, by which store and staff — and after-sales service contracts.

Orders are the source of sold units (a delivered serial becomes a `catalog.SoldUnit`), what returns
refer to, and the sales figures of store staff. Contracts are what SLA policies and maintenance plans
match on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import VersionedModel


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTIAL = "partial", _("Partly paid")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Not delivered")
    PARTIAL = "partial", _("Partly delivered")
    DELIVERED = "delivered", _("Delivered")


class SalesOrder(VersionedModel):
    number = models.CharField(_("order number"), max_length=30, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("store / outlet"), on_delete=models.PROTECT, related_name="orders"
    )
    sales_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_orders",
    )
    order_date = models.DateField(_("order date"))
    payment_status = models.CharField(
        _("payment status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    delivery_status = models.CharField(
        _("delivery status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "order_date"], name="order_unit_date_idx"),
            models.Index(fields=["sales_staff", "order_date"], name="order_staff_date_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product_model = models.ForeignKey(
        "catalog.ProductModel", verbose_name=_("product model"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_qty_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="order_line_price_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.product_model}"


class DeliveredUnit(models.Model):
    """A serial delivered against an order line: the link from the order to the sold unit."""

    line = models.ForeignKey(
        SalesOrderLine, verbose_name=_("order line"), on_delete=models.CASCADE, related_name="deliveries"
    )
    unit = models.OneToOneField(
        "catalog.SoldUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="delivery"
    )

    class Meta:
        verbose_name = _("delivered unit")
        verbose_name_plural = _("delivered units")

    def __str__(self) -> str:
        return str(self.unit_id)


class ServiceLevel(models.TextChoices):
    STANDARD = "standard", _("Standard")
    PREMIUM = "premium", _("Premium")
    VIP = "vip", _("VIP")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("contract status", "Active")
    EXPIRED = "expired", pgettext_lazy("contract status", "Expired")
    TERMINATED = "terminated", _("Terminated")


class ServiceContract(VersionedModel):
    """An after-sales service agreement: covered units, term, service level, what is included."""

    number = models.CharField(_("contract number"), max_length=30, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="contracts"
    )
    units = models.ManyToManyField(
        "catalog.SoldUnit", verbose_name=_("covered units"), blank=True, related_name="contracts"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    service_level = models.CharField(
        _("service level"), max_length=10, choices=ServiceLevel.choices, default=ServiceLevel.STANDARD
    )
    included_visits = models.PositiveSmallIntegerField(_("included visits"), default=0)
    includes_parts = models.BooleanField(_("parts included"), default=False)
    includes_labour = models.BooleanField(_("labour included"), default=True)
    extended_warranty_months = models.PositiveSmallIntegerField(_("extended warranty (months)"), default=0)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="contract_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.number
