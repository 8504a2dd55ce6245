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
