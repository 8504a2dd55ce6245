"""Users, the org-unit tree (company → region → outlet/store → team), API tokens, sign-in throttling."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel, VersionedModel


class OrgUnitKind(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    OUTLET = "outlet", _("Service outlet")
    STORE = "store", _("Store")
    DEPARTMENT = "department", _("Department")
    TEAM = "team", _("Team")


class OrgUnit(VersionedModel):
    """A node of the organisation tree. `path` ("/1/5/9/") makes a whole subtree one indexed query."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_unit_id(self) -> int | None:
        return self.pk


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer (portal)")


class User(AbstractUser):
    """A person who signs in: a staff member of an org unit, or a customer of the portal.

    Customers of the portal belong to no unit and see only their own records.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF)
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    additional_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("additional units"), blank=True, related_name="associate_members"
    )
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_all_units", _("Can see the data of every org unit (head office)")),
        ]
        indexes = [models.Index(fields=["org_unit", "kind"], name="user_unit_kind_idx")]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(TimeStampedModel):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginThrottle(models.Model):
    """Failed sign-ins per username, for the lock-out rule in `accounts.rules`."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_started_at = models.DateTimeField(_("first failure"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in throttle")
        verbose_name_plural = _("sign-in throttles")

    def __str__(self) -> str:
        return self.username
