"""The customer archive: the real end user (not only the dealer), with personal data kept apart.

Phones, addresses and contacts are child rows so a customer can have several; lists and the API
mask them unless the user's role may see personal data (see `customers.rules.mask_*`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import TimeStampedModel, VersionedModel


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", pgettext_lazy("customer kind", "Company")


class Tier(models.TextChoices):
    """Member tiers of the retention playbook (004): E 黄铜 … A 钻戒."""

    NONE = "", _("No tier")
    E = "E", _("E Brass")
    D = "D", _("D Silver")
    C = "C", _("C Gold")
    B = "B", _("B Diamond")
    A = "A", _("A Diamond ring")


class SourceChannel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    STORE = "store", _("Store")
    WEB = "web", _("Website")
    WECHAT = "wechat", _("WeChat")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Member event")
    DEALER = "dealer", _("Dealer")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class CustomerTag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(VersionedModel):
    """A customer or member: a person or a company that owns products and asks for service."""

    code = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True, default="")
    company_credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="customers"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    wechat_openid = models.CharField(_("WeChat open id"), max_length=64, blank=True, db_index=True)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_is_lunar = models.BooleanField(_("celebrates the lunar birthday"), default=False)
    wedding_anniversary = models.DateField(_("wedding anniversary"), null=True, blank=True)
    hobbies = models.CharField(_("hobbies"), max_length=200, blank=True)
    preferences = models.TextField(_("preferences"), blank=True)
    tags = models.ManyToManyField(CustomerTag, verbose_name=_("tags"), blank=True, related_name="customers")
    marketing_consent = models.BooleanField(_("agrees to marketing"), default=False)
    marketing_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    source_channel = models.CharField(
        _("source channel"), max_length=12, choices=SourceChannel.choices, default=SourceChannel.OTHER
    )
    note = models.TextField(_("note"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_profile",
    )
    portal_contacts_see_all = models.BooleanField(
        _("contacts see all the company's requests in the portal"), default=False
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("view_personal_data", _("Can see customers' full phone numbers and addresses")),
            ("export_personal_data", _("Can export customers' personal data")),
            ("merge_customer", _("Can merge duplicate customers")),
        ]
        indexes = [models.Index(fields=["org_unit", "id"], name="customer_unit_idx")]

    def __str__(self) -> str:
        return self.name


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")


class CustomerPhone(models.Model):
    """A phone number of a customer, normalised to digits. `reversed_number` makes "last four digits"
    an indexed prefix search instead of a full scan."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number"), max_length=20, db_index=True)
    reversed_number = models.CharField(_("reversed number"), max_length=20, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    label = models.CharField(_("label"), max_length=30, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique")]

    def __str__(self) -> str:
        return self.number


class CustomerAddress(models.Model):
    """An address: a district from the PRC division table plus the street detail."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("province / city / district"), on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField(_("detailed address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    label = models.CharField(_("label"), max_length=30, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]

    def __str__(self) -> str:
        return f"{self.region.full_name}{self.detail}"


class CustomerContact(TimeStampedModel):
    """A person to talk to: a company's staff, or a family member of an individual customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("position / relation"), max_length=50, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_contact",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.name
