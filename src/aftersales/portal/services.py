"""Writes of the portal: a fault reported by scanning a unit's QR code (扫码报修), without an account.

A signed-in customer's own writes (submit, add information, confirm, reopen, rate) need nothing beyond
`service.services`, which already checks that the customer owns the request; only the anonymous scan
needs its own use case: work out who the customer is, throttle by phone number, create the request as
the intake account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.accounts.models import User
from aftersales.accounts.services import intake_user_get
from aftersales.catalog.models import SoldUnit
from aftersales.core.errors import DomainError, FieldError, ValidationFailed
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import Customer, SourceChannel
from aftersales.customers.services import CustomerData, PhoneData, customer_create
from aftersales.portal import rules, selectors
from aftersales.service import services as service_services
from aftersales.service.models import Channel, RequestType, ServiceRequest

SCAN_LIMIT_PER_HOUR = 5
SCAN_WINDOW = dt.timedelta(hours=1)


class TooManyReports(DomainError):
    status: ClassVar[int] = 429
    default_code: ClassVar[str] = "rate_limited"
    default_message = gettext_lazy("Too many reports from this phone number. Please try again later.")


@dataclass(frozen=True)
class ScanReport:
    """What the person holding the phone types on the scan page."""

    name: str
    phone: str
    fault: str
    photos: tuple[UploadedFile, ...] = field(default_factory=tuple)


def _validate(report: ScanReport) -> str:
    """The normalised phone number, or ValidationFailed with every problem at once."""
    errors: list[FieldError] = []
    phone = customer_rules.normalise_phone(report.phone)
    if not report.name.strip():
        errors.append(FieldError("name", _("Tell us your name.")))
    if customer_rules.phone_kind(phone) is None:
        errors.append(FieldError("phone", _("Enter a mobile number (11 digits) or a landline with its area code.")))
    if not report.fault.strip():
        errors.append(FieldError("fault", _("Describe the fault.")))
    if len(report.photos) > rules.MAX_PHOTOS:
        errors.append(FieldError("photos", _("At most %(n)s photos.") % {"n": rules.MAX_PHOTOS}))
    for upload in report.photos:
        errors.extend(service_services.attachment_errors(upload, "photos"))
    if errors:
        raise ValidationFailed(errors=errors)
    return phone


def _customer_for(unit: SoldUnit, *, name: str, phone: str, actor: User) -> Customer:
    """The unit's owner (whatever phone was given: it is kept as the request's contact phone); for a unit
    without an owner, the customer already known by that phone, else a new customer of the selling store."""
    if unit.customer_id is not None and unit.customer is not None:
        return unit.customer
    known = (
        Customer.objects.filter(phones__number=phone, merged_into__isnull=True, is_active=True).order_by("id").first()
    )
    if known is not None:
        return known
    return customer_create(
        actor=actor,
        data=CustomerData(
            name=name.strip()[:100],
            org_unit_id=unit.org_unit_id,
            phones=(PhoneData(phone, is_primary=True),),
            source_channel=SourceChannel.OTHER,
            note=f"由扫码报修自动建立（序列号 {unit.serial}），请核实资料",
        ),
        allow_duplicate=True,
    )


def scan_report_submit(*, unit: SoldUnit, report: ScanReport, now: dt.datetime | None = None) -> ServiceRequest:
    """Create a repair request for the scanned unit, as the intake account, landing as "received" for an
    agent to judge. At most SCAN_LIMIT_PER_HOUR reports per phone number per hour (429 beyond)."""
    phone = _validate(report)
    moment = now or timezone.now()
    if selectors.recent_scan_reports(phone=phone, since=moment - SCAN_WINDOW) >= SCAN_LIMIT_PER_HOUR:
        raise TooManyReports(
            message=_(
                "This phone number has already sent %(n)s reports in the last hour. "
                "Please try again later, or call our service hotline."
            )
            % {"n": SCAN_LIMIT_PER_HOUR}
        )
    actor = intake_user_get()
    with transaction.atomic():
        customer = _customer_for(unit, name=report.name, phone=phone, actor=actor)
        request, _created = service_services.request_create(
            actor=actor,
            data=service_services.RequestData(
                type=RequestType.REPAIR,
                customer_id=customer.pk,
                title=rules.scan_title(report.fault),
                description=report.fault.strip(),
                channel=Channel.SCAN,
                unit_id=unit.pk,
                contact_name=report.name.strip()[:100],
                contact_phone=phone,
                register_now=False,
                auto_assign=False,
                attachments=report.photos,
            ),
        )
    return request
