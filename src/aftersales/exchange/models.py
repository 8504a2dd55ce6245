"""Import jobs: one uploaded Excel/CSV file, its row-by-row report, and what was imported from it."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PRODUCT_MODELS = "product_models", _("Product models")
    UNITS = "units", _("Sold units")
    LABOUR_ITEMS = "labour_items", _("Fee schedule labour items")


class ImportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    CSV = "csv", "CSV"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing: import only if every row is valid")
    VALID_ROWS_ONLY = "valid_rows_only", _("Import the valid rows, skip the invalid ones")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for validation")
    VALIDATING = "validating", _("Validating")
    VALIDATED = "validated", _("Validated")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def import_file_path(instance: ImportJob, filename: str) -> str:
    """A generated name under MEDIA_ROOT/imports/: the uploaded name is never used as a path."""
    extension = instance.file_format if instance.file_format in ImportFormat.values else "bin"
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ImportJob(TimeStampedModel):
    """One import: the uploaded file, the validation report (counts, row errors, preview) and the result.

    Runs in the background worker: uploaded → validating → validated → importing → done | failed
    (`exchange.rules.STATUS_TRANSITIONS`). `errors` holds {row, column, message} with the row number a
    person sees in Excel (the header is row 1). Scoped by `org_unit` like every other record.
    """

    kind = models.CharField(_("what is imported"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to=import_file_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4, choices=ImportFormat.choices)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    mode = models.CharField(_("mode"), max_length=20, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    language = models.CharField(_("language of the report"), max_length=10, default="zh-hans")
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    rows_imported = models.PositiveIntegerField(_("imported rows"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    errors_truncated = models.BooleanField(_("more errors than kept"), default=False)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    summary = models.JSONField(_("what was created"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    started_at = models.DateTimeField(_("import started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    # Spelled out for the type checker, which reads the project's settings (where this app may not
    # be installed yet) and then knows neither the default manager nor the foreign-key ids.
    objects: ClassVar[models.Manager[ImportJob]] = models.Manager()
    created_by_id: int
    confirmed_by_id: int | None
    org_unit_id: int

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["org_unit", "id"], name="import_job_unit_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_valid__lte=models.F("rows_total")), name="import_job_valid_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)
