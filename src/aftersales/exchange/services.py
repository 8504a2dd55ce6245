"""Every write of the import/export app: import jobs (upload, validate, confirm, import), the bulk
creation of customers and sold units, and the audit entries of exports.

Why a bulk path: `customer_create` and `unit_register` run 10-15 queries per record (checks, duplicate
search, number, children, audit); 100,000 of them take minutes. `customer_batch_create` and
`unit_batch_create` apply the same rules (`exchange.checks`) with a few queries per 1,000 records,
reserve the customer numbers in one statement, insert with one `executemany` per table and batch
(`_insert`), and the import writes ONE audit entry per job that says what it created (the job keeps
the row report). Product models and fee schedules are few and go through their apps' own services
(and their audit entries), one record at a time. Measured in `bench/import_bench.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from aftersales.accounts.models import User
from aftersales.accounts.policies import require_perm, require_unit
from aftersales.catalog import services as catalog_services
from aftersales.catalog.models import SoldUnit, UnitOwnership
from aftersales.catalog.services import UnitData, normalise_serial
from aftersales.core.audit import audit_record
from aftersales.core.context import Channel, acting
from aftersales.core.errors import Conflict, DomainError, FieldError, ValidationFailed, field_error
from aftersales.core.models import AuditAction
from aftersales.core.sequences import next_value
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import Customer, CustomerAddress, CustomerPhone, CustomerTag, PhoneKind
from aftersales.customers.services import CUSTOMER_PREFIX, CUSTOMER_SEQUENCE, CustomerData
from aftersales.exchange import checks, readers, rules, spool
from aftersales.exchange.checks import FeeItemData
from aftersales.exchange.importers import BATCH_SIZE, PREVIEW_ROWS, Importer, RowError, SourceRow, importer_class
from aftersales.exchange.models import ImportJob, ImportKind, ImportMode, ImportStatus
from aftersales.exchange.policies import IMPORT_PERMS

logger = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 10_000
CUSTOMER_NUMBER_WIDTH = 8  # as `core.sequences.next_code` writes customer numbers (C00000042)


def max_upload_bytes() -> int:
    return int(getattr(settings, "EXCHANGE_MAX_UPLOAD_BYTES", 100 * 1024 * 1024))


# --- the job queue (Huey tasks, registered by the app config) ---------------------------------

JobTask = Callable[[int], Any]
_queue: dict[str, JobTask] = {}


def register_job_queue(*, validate: JobTask, commit: JobTask) -> None:
    _queue["validate"] = validate
    _queue["commit"] = commit


def _schedule(step: str, job_id: int) -> None:
    task = _queue.get(step)
    if task is None:
        raise RuntimeError("the exchange tasks are not registered (is aftersales.exchange installed?)")
    transaction.on_commit(lambda: task(job_id))


# --- upload and confirm (what a person does) --------------------------------------------------


def import_job_create(*, actor: Any, kind: str, upload: File[Any], mode: str, org_unit_id: int) -> ImportJob:
    """Store an uploaded file under a generated name and queue its validation (a dry run)."""
    if kind not in ImportKind.values:
        raise field_error("kind", _("Choose what to import."))
    require_perm(actor, IMPORT_PERMS[kind])
    require_unit(actor, org_unit_id)
    if mode not in ImportMode.values:
        raise field_error("mode", _("Choose an import mode."))
    name = os.path.basename(upload.name or "")
    file_format = readers.format_of(name)
    if file_format is None:
        message = (
            _("Old .xls workbooks cannot be read: save the file as .xlsx (Excel workbook) or CSV.")
            if name.lower().endswith(".xls")
            else _("Only .xlsx and .csv files can be imported.")
        )
        raise field_error("file", message)
    size = upload.size or 0
    if size == 0:
        raise field_error("file", pgettext("import report", "The file is empty."))
    if size > max_upload_bytes():
        raise field_error(
            "file", _("The file is larger than %(mb)s MB: split it.") % {"mb": max_upload_bytes() // (1024 * 1024)}
        )
    job = ImportJob(
        kind=kind,
        original_name=name[:255],
        file_format=file_format,
        file_size=size,
        mode=mode,
        created_by=actor,
        org_unit_id=org_unit_id,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save(name, upload, save=False)  # the name is replaced by `models.import_file_path`
    with transaction.atomic():
        job.save(force_insert=True)
        _schedule("validate", job.pk)
    return job


def import_job_confirm(*, actor: Any, job: ImportJob) -> ImportJob:
    """Start the import of a validated file (in the background); refused while it is not importable."""
    require_perm(actor, IMPORT_PERMS[job.kind])
    require_unit(actor, job.org_unit_id)
    refusal = rules.confirm_refusal(
        status=job.status, mode=job.mode, rows_valid=job.rows_valid, rows_invalid=job.rows_invalid
    )
    if refusal:
        raise Conflict(message=refusal)
    now = timezone.now()
    with transaction.atomic():
        # Conditional update: two clicks on "confirm" start one import.
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATED).update(
            status=ImportStatus.IMPORTING, confirmed_by=actor, started_at=now, updated_at=now
        )
        if not claimed:
            raise Conflict(message=_("This import has already been started."))
        _schedule("commit", job.pk)
    job.refresh_from_db()
    return job


# --- the dry run: reading and checking the whole file ----------------------------------------


@dataclass
class Scan:
    total: int = 0
    valid: int = 0
    invalid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    preview: list[list[str]] = field(default_factory=list)
    file_errors: list[RowError] = field(default_factory=list)

    def add_errors(self, errors: Sequence[RowError]) -> None:
        for error in errors:
            if len(self.errors) >= MAX_ERRORS_KEPT:
                self.truncated = True
                return
            self.errors.append(error.as_dict())


def _scan(job: ImportJob, importer: Importer[Any], out: spool.SpoolWriter) -> Scan:
    """Read the whole file once, a batch at a time: count, report errors, keep the preview, and put
    the valid rows' dataclasses in the spool for the import."""
    scan = Scan()
    rows = readers.read_rows(Path(job.file.path), job.file_format)
    first = next(rows, None)
    if first is None:
        scan.file_errors.append(RowError(1, "", pgettext("import report", "The file is empty.")))
        return scan
    match = rules.match_headers(first[1], importer.header_names())
    importer.labels, importer.positions = match.labels, match.positions
    for column in importer.required_columns():
        if column.key not in match.positions:
            scan.file_errors.append(
                RowError(1, column.header, pgettext("import report", "Required column is missing."))
            )
    for key in match.duplicates:
        scan.file_errors.append(
            RowError(1, importer.label(key), pgettext("import report", "The column appears twice."))
        )
    if scan.file_errors:
        return scan
    positions = list(match.positions.items())
    batch: list[SourceRow] = []

    def flush() -> None:
        valid: list[tuple[int, Any]] = []
        for result in importer.check(batch):
            if result.data is None:
                scan.invalid += 1
                scan.add_errors(result.errors)
            else:
                scan.valid += 1
                valid.append((result.row, result.data))
                if len(scan.preview) < PREVIEW_ROWS:
                    scan.preview.append(result.preview)
        if valid:
            out.write(valid)
        # Progress for the page that polls (one small UPDATE per 1,000 rows).
        ImportJob.objects.filter(pk=job.pk).update(
            rows_total=scan.valid + scan.invalid, rows_valid=scan.valid, rows_invalid=scan.invalid
        )
        batch.clear()

    for number, values in rows:
        if readers.is_blank(values):
            continue
        scan.total += 1
        if scan.total > importer.max_rows:
            scan.file_errors.append(
                RowError(
                    number,
                    "",
                    pgettext("import report", "More than %(max)s rows: split the file.") % {"max": importer.max_rows},
                )
            )
            return scan
        width = len(values)
        batch.append(SourceRow(number, {key: values[i] if i < width else None for key, i in positions}))
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    if scan.total == 0:
        scan.file_errors.append(
            RowError(2, "", pgettext("import report", "The file has no data rows under the header."))
        )
    return scan


def _claim(job_id: int, allowed: Sequence[str], new: str) -> ImportJob | None:
    """Move the job to `new` if it is in one of `allowed` states; None if another run has it."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job_id, status__in=allowed).update(status=new, updated_at=timezone.now())
    if not claimed:
        return None
    return ImportJob.objects.select_related("created_by", "confirmed_by").get(pk=job_id)


def _fail(job: ImportJob, message: str, *, scan: Scan | None = None, errors: Sequence[RowError] = ()) -> None:
    values: dict[str, Any] = {
        "status": ImportStatus.FAILED,
        "message": message,
        "finished_at": timezone.now(),
        "updated_at": timezone.now(),
    }
    report = [e.as_dict() for e in errors]
    if scan is not None:
        values.update(
            rows_total=scan.total,
            rows_valid=scan.valid,
            rows_invalid=scan.invalid,
            errors=report + scan.errors,
            errors_truncated=scan.truncated,
            preview=_preview(job, scan, {}),
        )
    elif report:
        values["errors"] = report + list(job.errors or [])
    ImportJob.objects.filter(pk=job.pk, status__in=rules.sources_of(ImportStatus.FAILED)).update(**values)
    if job.file:
        spool.remove(spool.path_for(job.file.path))


def _preview(job: ImportJob, scan: Scan, labels: dict[str, str]) -> dict[str, Any]:
    cls = importer_class(job.kind)
    return {
        "columns": [c.header for c in cls.preview_columns],
        "masks": [c.mask for c in cls.preview_columns],
        "rows": scan.preview,
        "labels": labels,  # the file's own column names, for errors found during the import
    }


def _file_failure(scan: Scan) -> str:
    first = scan.file_errors[0]
    if first.column:
        return _("The file cannot be imported: %(column)s: %(reason)s") % {
            "column": first.column,
            "reason": first.message,
        }
    return _("The file cannot be imported: %(reason)s") % {"reason": first.message}


# --- the background steps (run by `exchange.tasks`) -------------------------------------------


def import_job_validate_run(*, job_id: int) -> None:
    """The dry run: read the whole file once, build the row report and the preview, and keep the
    valid rows (signed, on disk) for the import. Writes no domain data."""
    job = _claim(job_id, [ImportStatus.UPLOADED, ImportStatus.VALIDATING], ImportStatus.VALIDATING)
    if job is None:
        return
    actor = User.objects.get(pk=job.created_by_id)
    with acting(actor=actor, channel=Channel.IMPORT), translation.override(job.language):
        try:
            importer = importer_class(job.kind)(actor=actor, org_unit_id=job.org_unit_id)
            with spool.SpoolWriter(spool.path_for(job.file.path)) as out:
                scan = _scan(job, importer, out)
        except readers.UnreadableFile as exc:
            _fail(job, exc.message)
            return
        except Exception:
            logger.exception("import validation failed", extra={"job": job.pk})
            _fail(job, _("The file could not be read. Check that it is a valid .xlsx or .csv file."))
            return
        if scan.file_errors:
            _fail(job, _file_failure(scan), scan=scan, errors=scan.file_errors)
            return
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATING).update(
            status=ImportStatus.VALIDATED,
            rows_total=scan.total,
            rows_valid=scan.valid,
            rows_invalid=scan.invalid,
            errors=scan.errors,
            errors_truncated=scan.truncated,
            preview=_preview(job, scan, importer.labels),
            message="",
            validated_at=now,
            updated_at=now,
        )


class _RolledBack(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("rolled back")
        self.errors = errors


def import_job_commit_run(*, job_id: int) -> None:
    """The import of a confirmed job: the valid rows of the dry run, written in ONE transaction.

    The writers check every batch again with the same rules (the database may have changed since
    the dry run: a serial registered meanwhile). All-or-nothing: any such failure rolls the whole
    import back. Valid rows only: the rows that now fail are reported and the others written.
    A failure half-way (or a crash) leaves nothing half-imported; the job can be run again.
    """
    job = _claim(job_id, [ImportStatus.IMPORTING], ImportStatus.IMPORTING)
    if job is None:
        return
    actor = User.objects.get(pk=job.confirmed_by_id or job.created_by_id)
    all_or_nothing = job.mode == ImportMode.ALL_OR_NOTHING
    with acting(actor=actor, channel=Channel.IMPORT), translation.override(job.language):
        if all_or_nothing and job.rows_invalid:
            _fail(
                job,
                _("%(count)s rows have errors: nothing was imported (all-or-nothing mode).")
                % {"count": job.rows_invalid},
            )
            return
        path = spool.path_for(job.file.path) if job.file else None
        labels = (job.preview or {}).get("labels") or {}
        cls = importer_class(job.kind)
        writer = WRITERS[job.kind](actor=actor, label=lambda name: cls.report_label(labels, cls.column_for(name)))
        failed: list[RowError] = []
        try:
            with transaction.atomic():
                writer.begin(job.rows_valid)
                if path is None:
                    raise spool.DamagedSpool("no file")
                for batch in spool.read(path):
                    failed += writer.write(batch, all_or_nothing=all_or_nothing)
                    if failed and all_or_nothing:
                        raise _RolledBack(failed)
                failed += writer.finish(all_or_nothing=all_or_nothing)
                if failed and all_or_nothing:
                    raise _RolledBack(failed)
                failed_rows = len({e.row for e in failed})
                imported = job.rows_valid - failed_rows
                summary = {"rows": imported, **writer.counts}
                audit_record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    target=job,
                    changes={key: [None, value] for key, value in summary.items()},
                    note=(
                        _("Imported %(rows)s rows of %(file)s (%(kind)s).")
                        % {"rows": imported, "file": job.original_name, "kind": ImportKind(job.kind).label}
                        + (f" {writer.note}" if writer.note else "")
                    ),
                )
                now = timezone.now()
                done = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(
                    status=ImportStatus.DONE,
                    rows_valid=job.rows_valid - failed_rows,
                    rows_invalid=job.rows_invalid + failed_rows,
                    rows_imported=imported,
                    errors=list(job.errors or []) + [e.as_dict() for e in failed],
                    summary=summary,
                    message="",
                    finished_at=now,
                    updated_at=now,
                )
                if not done:
                    raise Conflict(message=_("This import has already been finished."))
        except _RolledBack as exc:
            _fail(
                job,
                _("%(count)s rows failed the final check: nothing was imported (all-or-nothing mode).")
                % {"count": len({e.row for e in exc.errors})},
                errors=exc.errors,
            )
            return
        except spool.DamagedSpool:
            logger.warning("import spool missing or damaged", extra={"job": job.pk})
            _fail(job, _("The checked rows of this file are missing or damaged: upload the file again."))
            return
        except (DomainError, IntegrityError) as exc:
            logger.warning("import rolled back", extra={"job": job.pk, "error": str(exc)})
            _fail(
                job,
                _("The data changed after the check (%(error)s): nothing was imported. Upload the file again.")
                % {"error": getattr(exc, "message", "") or exc.__class__.__name__},
            )
            return
        except Exception:
            logger.exception("import failed while writing", extra={"job": job.pk})
            _fail(job, _("An internal error stopped the import: nothing was imported."))
            return
        if path is not None:
            spool.remove(path)


# --- writers: how each kind's valid rows are stored -------------------------------------------


class _Writer(ABC):
    note = ""

    def __init__(self, *, actor: Any, label: Callable[[str], str]) -> None:
        self.actor = actor
        self.label = label  # dataclass field → the column as the file names it
        self.counts: dict[str, int] = {}

    def begin(self, count: int) -> None:  # noqa: B027 (an optional hook; most writers need nothing)
        """Called inside the transaction with the number of rows about to be written."""

    @abstractmethod
    def write(self, batch: list[tuple[int, Any]], *, all_or_nothing: bool) -> list[RowError]:
        """Write one batch; return the rows refused."""

    def finish(self, *, all_or_nothing: bool) -> list[RowError]:
        return []

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    def row_errors(self, row: int, exc: DomainError) -> list[RowError]:
        if not exc.errors:
            return [RowError(row, "", str(exc.message))]
        return [RowError(row, self.label(e.field), str(e.message)) for e in exc.errors]


class _BatchWriter(_Writer):
    """Bulk kinds: a batch refused by the service's own re-check (the data changed since the scan)
    loses its bad rows in valid-rows-only mode and is written again without them."""

    @abstractmethod
    def create(self, items: list[Any]) -> dict[str, int]:
        """Create the batch through the domain's bulk service; return what was created."""

    def write(self, batch: list[tuple[int, Any]], *, all_or_nothing: bool) -> list[RowError]:
        failed: list[RowError] = []
        while batch:
            try:
                self.add(self.create([data for _row, data in batch]))
                return failed
            except ValidationFailed as exc:
                bad: dict[int, list[FieldError]] = {}
                for error in exc.errors:
                    head, _dot, name = error.field.partition(".")
                    bad.setdefault(int(head), []).append(FieldError(name, error.message))
                for position, errors in bad.items():
                    failed += self.row_errors(batch[position][0], ValidationFailed(errors=errors))
                if all_or_nothing:
                    return failed
                batch = [item for position, item in enumerate(batch) if position not in bad]
        return failed


class _CustomerWriter(_BatchWriter):
    def begin(self, count: int) -> None:  # noqa: B027 (an optional hook; most writers need nothing)
        # One statement reserves every number of the import (the sequence is gap-tolerant).
        last = next_value(CUSTOMER_SEQUENCE, count=count)
        self.next_number = last - count + 1
        self.first_code = _customer_code(self.next_number)

    def create(self, items: list[CustomerData]) -> dict[str, int]:
        counts = customer_batch_create(actor=self.actor, batch=items, first_number=self.next_number)
        self.next_number += len(items)
        return counts

    def finish(self, *, all_or_nothing: bool) -> list[RowError]:
        if self.counts.get("customers"):
            self.note = _("Customer numbers %(first)s to %(last)s.") % {
                "first": self.first_code,
                "last": _customer_code(self.next_number - 1),
            }
        return []


class _UnitWriter(_BatchWriter):
    def create(self, items: list[UnitData]) -> dict[str, int]:
        return unit_batch_create(actor=self.actor, batch=items)


class _ProductModelWriter(_Writer):
    """Models are few: each goes through `catalog.services.product_model_create` (and its audit entry)."""

    def write(self, batch: list[tuple[int, Any]], *, all_or_nothing: bool) -> list[RowError]:
        failed: list[RowError] = []
        for row, data in batch:
            try:
                with transaction.atomic():
                    catalog_services.product_model_create(actor=self.actor, data=data)
            except DomainError as exc:
                failed += self.row_errors(row, exc)
                if all_or_nothing:
                    return failed
            else:
                self.add({"product_models": 1})
        return failed


class _FeeScheduleWriter(_Writer):
    """Rows of one region and date become one schedule version through `catalog.services.fee_schedule_create`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups: dict[tuple[str | None, Any], list[tuple[int, FeeItemData]]] = {}

    def write(self, batch: list[tuple[int, Any]], *, all_or_nothing: bool) -> list[RowError]:
        for row, data in batch:
            self.groups.setdefault(data.schedule_key, []).append((row, data))
        return []

    def finish(self, *, all_or_nothing: bool) -> list[RowError]:
        failed: list[RowError] = []
        for (region_code, effective_from), rows in self.groups.items():
            try:
                with transaction.atomic():
                    catalog_services.fee_schedule_create(
                        actor=self.actor,
                        name=rows[0][1].schedule_name.strip(),
                        effective_from=effective_from,
                        region_code=region_code,
                        labour_items=[data.item for _row, data in rows],
                        bands=[],
                    )
            except DomainError as exc:
                message = "; ".join(str(e.message) for e in exc.errors) or str(exc.message)
                failed += [RowError(row, "", message) for row, _data in rows]
                if all_or_nothing:
                    return failed
            else:
                self.add({"fee_schedules": 1, "labour_items": len(rows)})
        return failed


WRITERS: dict[str, type[_Writer]] = {
    ImportKind.CUSTOMERS: _CustomerWriter,
    ImportKind.UNITS: _UnitWriter,
    ImportKind.PRODUCT_MODELS: _ProductModelWriter,
    ImportKind.LABOUR_ITEMS: _FeeScheduleWriter,
}


# --- bulk creation --------------------------------------------------------------------------


def _customer_code(number: int) -> str:
    return f"{CUSTOMER_PREFIX}{number:0{CUSTOMER_NUMBER_WIDTH}d}"


def _refuse(errors: dict[int, list[FieldError]]) -> ValidationFailed:
    return ValidationFailed(
        errors=[FieldError(f"{index}.{e.field}", e.message) for index, items in sorted(errors.items()) for e in items]
    )


def _insert(model: type[Model], rows: Sequence[dict[str, Any]], *, now: dt.datetime) -> None:
    """What `bulk_create` does, without its per-value SQL compilation (4× faster at this size): every
    column given — the model's defaults for those a row leaves out, `now` for the timestamps. SQLite
    runs in-process: one `executemany` of INSERT … VALUES. PostgreSQL: COPY FROM STDIN, one stream
    per batch (executemany took 25 s for 100,000 customers there, multi-row VALUES longer still, in
    psycopg's parameter handling). The caller has validated the rows."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamp = connection.ops.adapt_datetimefield_value(now)
    defaults = {
        f.attname: stamp if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        for f in fields
    }
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    names = [f.attname for f in fields]
    params = [tuple(row[n] if n in row else defaults[n] for n in names) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 (names from the model)
            params,
        )


def customer_batch_create(
    *, actor: Any, batch: Sequence[CustomerData], first_number: int | None = None
) -> dict[str, int]:
    """Create many customers at once with the rules of `customer_create` (likely duplicates refused).

    Errors come back as one `ValidationFailed` whose fields are "<position>.<field>". Numbers are
    `first_number`, `first_number + 1` … when the caller reserved them, else reserved here. No audit
    entry per customer: the caller records one for the whole batch or import.
    """
    require_perm(actor, "customers.add_customer")
    for unit_id in {d.org_unit_id for d in batch}:
        require_unit(actor, unit_id)
    if not batch:
        return {"customers": 0, "phones": 0, "addresses": 0, "tags": 0}
    errors = checks.customer_errors(batch, actor=actor, today=timezone.localdate())
    if errors:
        raise _refuse(errors)
    now = timezone.now()
    consent_at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        if first_number is None:
            first_number = next_value(CUSTOMER_SEQUENCE, count=len(batch)) - len(batch) + 1
        codes = [_customer_code(first_number + i) for i in range(len(batch))]
        _insert(
            Customer,
            [
                {
                    "code": code,
                    "kind": d.kind,
                    "name": d.name.strip(),
                    "gender": d.gender,
                    "company_credit_code": d.company_credit_code.strip().upper(),
                    "org_unit_id": d.org_unit_id,
                    "owner_id": d.owner_id,
                    "tier": d.tier,
                    "birthday": d.birthday,
                    "birthday_is_lunar": d.birthday_is_lunar and d.birthday is not None,
                    "wedding_anniversary": d.wedding_anniversary,
                    "hobbies": d.hobbies.strip(),
                    "preferences": d.preferences.strip(),
                    "marketing_consent": d.marketing_consent,
                    "marketing_consent_at": consent_at if d.marketing_consent else None,
                    "source_channel": d.source_channel,
                    "note": d.note.strip(),
                }
                for code, d in zip(codes, batch, strict=True)
            ],
            now=now,
        )
        ids = dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))
        phones: list[dict[str, Any]] = []
        addresses: list[dict[str, Any]] = []
        tagged: list[tuple[int, str]] = []
        for code, d in zip(codes, batch, strict=True):
            pk = ids[code]
            numbers: list[tuple[str, str, bool]] = []
            for p in d.phones:
                number = customer_rules.normalise_phone(p.number)
                if all(n != number for n, _l, _p in numbers):
                    numbers.append((number, p.label.strip(), p.is_primary))
            primary = next((i for i, (_n, _l, is_primary) in enumerate(numbers) if is_primary), 0)
            phones += [
                {
                    "customer_id": pk,
                    "number": number,
                    "reversed_number": number[::-1],
                    "kind": customer_rules.phone_kind(number) or PhoneKind.MOBILE,
                    "label": label,
                    "is_primary": i == primary,
                }
                for i, (number, label, _p) in enumerate(numbers)
            ]
            has_default = any(a.is_default for a in d.addresses)
            addresses += [
                {
                    "customer_id": pk,
                    "region_id": a.region_code,
                    "detail": a.detail.strip(),
                    "postcode": a.postcode.strip(),
                    "label": a.label.strip(),
                    "is_default": a.is_default or (not has_default and i == 0),
                }
                for i, a in enumerate(d.addresses)
            ]
            tagged += [(pk, t) for t in sorted({t.strip()[:30] for t in d.tags if t.strip()})]
        _insert(CustomerPhone, phones, now=now)
        _insert(CustomerAddress, addresses, now=now)
        if tagged:
            names = {name for _pk, name in tagged}
            CustomerTag.objects.bulk_create([CustomerTag(name=n) for n in sorted(names)], ignore_conflicts=True)
            tag_ids = dict(CustomerTag.objects.filter(name__in=names).values_list("name", "pk"))
            _insert(
                Customer.tags.through,
                [{"customer_id": pk, "customertag_id": tag_ids[name]} for pk, name in tagged],
                now=now,
            )
    return {"customers": len(codes), "phones": len(phones), "addresses": len(addresses), "tags": len(tagged)}


def unit_batch_create(*, actor: Any, batch: Sequence[UnitData]) -> dict[str, int]:
    """Register many sold units at once with the rules of `unit_register`; an owner opens the first
    ownership period, as there. No audit entry per unit: the caller records one for the batch."""
    require_perm(actor, "catalog.add_soldunit")
    for unit_id in {d.org_unit_id for d in batch}:
        require_unit(actor, unit_id)
    if not batch:
        return {"units": 0, "ownerships": 0}
    today = timezone.localdate()
    errors = checks.unit_errors(batch, actor=actor, today=today)
    if errors:
        raise _refuse(errors)
    now = timezone.now()
    rows = [
        {
            "serial": normalise_serial(d.serial),
            "product_model_id": d.product_model_id,
            "org_unit_id": d.org_unit_id,
            "customer_id": d.customer_id,
            "sale_date": d.sale_date,
            "installation_date": d.installation_date,
            "invoice_no": d.invoice_no.strip(),
            "voucher_no": d.voucher_no.strip(),
            "extended_warranty_until": d.extended_warranty_until,
            "note": d.note.strip(),
        }
        for d in batch
    ]
    reason = _("Purchase")
    with transaction.atomic():
        _insert(SoldUnit, rows, now=now)
        owned = [r for r in rows if r["customer_id"]]
        ids: dict[Any, int] = (
            dict(SoldUnit.objects.filter(serial__in=[r["serial"] for r in owned]).values_list("serial", "pk"))
            if owned
            else {}
        )
        _insert(
            UnitOwnership,
            [
                {
                    "unit_id": ids[r["serial"]],
                    "customer_id": r["customer_id"],
                    "from_date": r["sale_date"] or today,
                    "to_date": None,
                    "reason": reason,
                }
                for r in owned
            ],
            now=now,
        )
    return {"units": len(rows), "ownerships": len(owned)}


# --- exports ----------------------------------------------------------------------------------


def data_export_record(*, actor: Any, kind: str, target_type: str, count: int, filters: dict[str, Any]) -> None:
    """Record an export (customer exports use `customers.services.customer_export_record`)."""
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        target_type=target_type,
        object_repr=f"{count} {kind}",
        org_unit_id=getattr(actor, "org_unit_id", None),
        note=f"filters={filters}",
    )


# --- housekeeping -----------------------------------------------------------------------------


def import_files_purge(*, older_than_days: int = 30) -> int:
    """Delete uploaded files of jobs finished (or left unconfirmed) longer ago; the reports stay."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    stale = ImportJob.objects.filter(file_purged_at__isnull=True).exclude(file="")
    finished = stale.filter(status__in=[ImportStatus.DONE, ImportStatus.FAILED], finished_at__lt=cutoff)
    abandoned = stale.filter(status=ImportStatus.VALIDATED, validated_at__lt=cutoff)
    count = 0
    for job in [*finished, *abandoned]:
        job.file.delete(save=False)
        values: dict[str, Any] = {"file": "", "file_purged_at": timezone.now()}
        if job.status == ImportStatus.VALIDATED:
            values.update(
                status=ImportStatus.FAILED,
                message=_("The file was not imported within %(days)s days and has been deleted.")
                % {"days": older_than_days},
                finished_at=timezone.now(),
            )
        ImportJob.objects.filter(pk=job.pk).update(**values)
        count += 1
    return count
