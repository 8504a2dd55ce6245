"""The product archive and the service fee schedule (two of the three base data sets, DOMAIN §2).

Money is Decimal with 2 places (CNY). A sold unit is one physical product with a serial number; its
warranty is answered by `catalog.rules.warranty_check` from the unit, its model's policy and the facts
of a case.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import VersionedModel


class ProductLine(models.Model):
    """A business line (家用净水, 家用空调, 保健品, 工业设备): what SLA policies, fault trees and skills key on."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProductCategory(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class WarrantyStart(models.TextChoices):
    SALE = "sale", _("From the sale date")
    INSTALLATION = "installation", _("From the installation date")


class WarrantyPolicy(VersionedModel):
    """A warranty (三包) policy: how long, counted from when, and what is free inside it."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    months = models.PositiveSmallIntegerField(_("warranty period (months)"))
    starts_from = models.CharField(
        _("counted from"), max_length=12, choices=WarrantyStart.choices, default=WarrantyStart.SALE
    )
    covers_parts = models.BooleanField(_("parts free"), default=True)
    covers_labour = models.BooleanField(_("labour free"), default=True)
    covers_call_out = models.BooleanField(_("call-out free"), default=True)
    scope = models.TextField(_("what it covers"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(months__gte=0), name="policy_months_nonneg")]

    def __str__(self) -> str:
        return self.name


class ProductModel(VersionedModel):
    """A product model (型号) with its line, category, prices and warranty policy."""

    code = models.CharField(_("model number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    product_line = models.ForeignKey(
        ProductLine, verbose_name=_("product line"), on_delete=models.PROTECT, related_name="models"
    )
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="models",
    )
    brand = models.CharField(_("brand"), max_length=50, blank=True)
    warranty_policy = models.ForeignKey(
        WarrantyPolicy, verbose_name=_("warranty policy"), on_delete=models.PROTECT, related_name="models"
    )
    dealer_price = models.DecimalField(_("dealer price"), max_digits=12, decimal_places=2, null=True, blank=True)
    market_price = models.DecimalField(_("market guide price"), max_digits=12, decimal_places=2, null=True, blank=True)
    needs_installation = models.BooleanField(_("needs installation"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ValueAddedKind(models.TextChoices):
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
    MAINTENANCE = "maintenance", _("Periodic on-site maintenance")
    OTHER = "other", _("Other")


class ValueAddedService(models.Model):
    """A paid service sold with a model: extended warranty, periodic maintenance …"""

    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("product model"), on_delete=models.CASCADE, related_name="value_added_services"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ValueAddedKind.choices)
    name = models.CharField(_("name"), max_length=100)
    months = models.PositiveSmallIntegerField(_("months"), default=0)
    visits = models.PositiveSmallIntegerField(_("included visits"), default=0)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("value-added service")
        verbose_name_plural = _("value-added services")
        ordering = ["product_model", "kind", "id"]

    def __str__(self) -> str:
        return self.name


class UnitStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    RETURNED = "returned", _("Returned")
    SCRAPPED = "scrapped", _("Scrapped")


class SoldUnit(VersionedModel):
    """One product sold, identified by its serial number, with the vouchers that prove the purchase."""

    serial = models.CharField(_("serial number"), max_length=50, unique=True)
    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("product model"), on_delete=models.PROTECT, related_name="units"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("selling store / outlet"),
        on_delete=models.PROTECT,
        related_name="sold_units",
    )
    sale_date = models.DateField(_("sale date"), null=True, blank=True)
    installation_date = models.DateField(_("installation date"), null=True, blank=True)
    invoice_no = models.CharField(_("invoice number"), max_length=40, blank=True)
    voucher_no = models.CharField(_("warranty voucher number"), max_length=40, blank=True)
    extended_warranty_until = models.DateField(_("extended warranty until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=UnitStatus.choices, default=UnitStatus.IN_USE)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("sold unit")
        verbose_name_plural = _("sold units")
        ordering = ["-id"]
        indexes = [models.Index(fields=["customer", "id"], name="unit_customer_idx")]

    def __str__(self) -> str:
        return self.serial


class UnitOwnership(models.Model):
    """One period of ownership of a unit; a transfer closes one and opens the next."""

    unit = models.ForeignKey(SoldUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="ownerships")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="unit_ownerships"
    )
    from_date = models.DateField(_("from"))
    to_date = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownership history")
        ordering = ["unit", "from_date", "id"]

    def __str__(self) -> str:
        return f"{self.unit} → {self.customer}"


class FeeSchedule(VersionedModel):
    """A version of the service fee schedule (服务收费标准), valid from a date, national or for a region.

    A charge uses the schedule valid on the service date for the most specific region that has one
    (district, then city, then province, then national): `catalog.rules.fee_schedule_pick`.
    """

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        "core.Region",
        verbose_name=_("region (empty = national)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_from = models.DateField(_("effective from"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        ordering = ["-effective_from", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="fee_schedule_region_date_unique"),
            models.UniqueConstraint(
                fields=["effective_from"], condition=models.Q(region__isnull=True), name="fee_schedule_national_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from})"


class LabourItem(models.Model):
    """A labour item with its standard time and price (e.g. 更换滤芯, 30 min, ¥50)."""

    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("fee schedule"), on_delete=models.CASCADE, related_name="labour_items"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    product_line = models.ForeignKey(
        ProductLine, verbose_name=_("product line"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    standard_minutes = models.PositiveIntegerField(_("standard time (minutes)"))
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("labour item")
        verbose_name_plural = _("labour items")
        ordering = ["schedule", "code"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "code"], name="labour_item_code_unique"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="labour_price_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CallOutBand(models.Model):
    """A call-out fee for a distance band: from_km ≤ distance < to_km (to_km empty = and beyond)."""

    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("fee schedule"), on_delete=models.CASCADE, related_name="call_out_bands"
    )
    from_km = models.DecimalField(_("from (km)"), max_digits=7, decimal_places=1)
    to_km = models.DecimalField(_("to (km)"), max_digits=7, decimal_places=1, null=True, blank=True)
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("call-out fee band")
        verbose_name_plural = _("call-out fee bands")
        ordering = ["schedule", "from_km"]
        constraints = [models.CheckConstraint(condition=models.Q(fee__gte=0), name="callout_fee_nonneg")]

    def __str__(self) -> str:
        return f"{self.from_km}-{self.to_km or '∞'} km"
