"""The PRC day calendar (statutory holidays and make-up working days) and business calendars."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Statutory holiday")
    WORKDAY = "workday", _("Make-up working day")


class DaySource(models.TextChoices):
    PACKAGE = "package", _("chinesecalendar package")
    MANUAL = "manual", _("Entered by an administrator")


class PublicDay(models.Model):
    """A day of the official schedule that differs from the plain week: a holiday, or a make-up working day."""

    date = models.DateField(_("date"), primary_key=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=DaySource.choices, default=DaySource.PACKAGE)

    class Meta:
        verbose_name = _("public holiday or make-up day")
        verbose_name_plural = _("PRC holiday schedule")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CoveredYear(models.Model):
    """A year whose official schedule is known. Arithmetic in any other year is refused, not guessed."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=8, choices=DaySource.choices, default=DaySource.PACKAGE)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("covered year")
        verbose_name_plural = _("covered years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class BusinessCalendar(models.Model):
    """A team's working hours: intervals of each working day (minutes from midnight), or 24×7."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    intervals = models.JSONField(_("working intervals"), default=list, help_text=_("e.g. [[540, 720], [810, 1080]]"))
    always_open = models.BooleanField(_("24×7 (clock time)"), default=False)
    weekend_working = models.BooleanField(_("works weekends"), default=False)
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitCalendar(models.Model):
    """The working hours of an org unit: its teams' time limits count on this calendar (a unit without
    one uses its nearest parent's, then the default calendar) unless the SLA policy names one."""

    org_unit = models.OneToOneField(
        "accounts.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT, related_name="units"
    )

    class Meta:
        verbose_name = _("working hours of a unit")
        verbose_name_plural = _("working hours of units")

    def __str__(self) -> str:
        return f"{self.org_unit_id} → {self.calendar_id}"


class CalendarOverride(models.Model):
    """A company's own exception: an extra closing day or an extra working day (for one calendar or all)."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar (empty = all)"), null=True, blank=True, on_delete=models.CASCADE
    )
    date = models.DateField(_("date"))
    is_working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="override_calendar_date_unique")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.is_working else '-'}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    ON_SITE = "on_site", _("On-site arrival")
    RESOLUTION = "resolution", _("Resolution")
    COMPLAINT_TRANSFER = "complaint_transfer", _("Complaint transferred to the department")
    COMPLAINT_INVESTIGATION = "complaint_investigation", _("Complaint investigated")
    COMPLAINT_RESULT = "complaint_result", _("Result told to the customer")
    REVISIT = "revisit", _("Satisfaction revisit")
    RETURN_REVIEW = "return_review", _("Return application reviewed")
    RETURN_INSPECTION = "return_inspection", _("Returned goods inspected")
    RETURN_REFUND = "return_refund", _("Refund paid or exchange shipped")


class TimeUnit(models.TextChoices):
    CLOCK_MINUTES = "clock_minutes", _("Minutes (clock time)")
    WORKING_MINUTES = "working_minutes", _("Working minutes")
    WORKING_HOURS = "working_hours", _("Working hours")
    WORKING_DAYS = "working_days", _("Working days")


class DaysMode(models.TextChoices):
    END_OF_DAY = "end_of_day", _("End of the N-th working day")
    HOURS = "hours", _("N × the day's working hours")


class SlaPolicy(models.Model):
    """Time limits for the requests it matches; the most specific matching policy wins (then priority)."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("lower wins a tie"))
    request_type = models.CharField(_("request type"), max_length=14, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=1, blank=True)
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        verbose_name=_("product line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar (empty = the team's working hours)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    days_mode = models.CharField(
        _("working days mean"), max_length=10, choices=DaysMode.choices, default=DaysMode.END_OF_DAY
    )
    warn_percent = models.PositiveSmallIntegerField(_("warning at this percentage of the allowed time"), default=80)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="sla_target_metric_unique"),
            models.CheckConstraint(condition=models.Q(warn_percent__gte=1, warn_percent__lte=99), name="sla_warn_1_99"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.metric} {self.amount} {self.unit}"
