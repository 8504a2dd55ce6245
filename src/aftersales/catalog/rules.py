"""Pure rules of the product archive: warranty coverage (三包), fee schedule choice, call-out fees."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar

from django.utils.translation import gettext_lazy as _


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day N months later; the 31st becomes the month's last day when the month is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DamageCause(StrEnum):
    NONE = "none"  # a defect of the product itself
    MISUSE = "misuse"  # not used or kept as the manual says
    WRONG_INSTALLATION = "wrong_installation"
    MAN_MADE = "man_made"
    FORCE_MAJEURE = "force_majeure"


class Reason(StrEnum):
    """Why a case is or is not covered: the fixed exclusion list of DOMAIN §6, plus the positive bases."""

    IN_PERIOD = "in_period"
    IN_EXTENDED_PERIOD = "in_extended_period"
    DATE_PROVEN = "date_proven"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    NO_START_DATE = "no_start_date"
    VOUCHER_ALTERED = "voucher_altered"
    SERIAL_MISMATCH = "serial_mismatch"
    MISUSE = "misuse"
    WRONG_INSTALLATION = "wrong_installation"
    NO_VOUCHER = "no_voucher"
    MAN_MADE = "man_made"
    FORCE_MAJEURE = "force_majeure"
    UNAUTHORISED_REPAIR = "unauthorised_repair"


REASON_TEXT = {
    Reason.IN_PERIOD: _("Within the warranty period."),
    Reason.IN_EXTENDED_PERIOD: _("Within the extended warranty."),
    Reason.DATE_PROVEN: _("No voucher or invoice, but the purchase date is proven otherwise."),
    Reason.EXPIRED: _("The warranty period has expired."),
    Reason.NOT_STARTED: _("The date is before the warranty starts."),
    Reason.NO_START_DATE: _("The sale or installation date the warranty counts from is unknown."),
    Reason.VOUCHER_ALTERED: _("The warranty voucher has been altered."),
    Reason.SERIAL_MISMATCH: _("The serial number does not match the unit."),
    Reason.MISUSE: _("Damage from not following the user manual."),
    Reason.WRONG_INSTALLATION: _("Damage from wrong installation."),
    Reason.NO_VOUCHER: _("Neither a valid warranty voucher nor an invoice, and the date is not proven."),
    Reason.MAN_MADE: _("Man-made damage."),
    Reason.FORCE_MAJEURE: _("Damage by force majeure."),
    Reason.UNAUTHORISED_REPAIR: _("Repaired, modified or dismantled by someone not authorised."),
}

_CAUSE_REASON = {
    DamageCause.MISUSE: Reason.MISUSE,
    DamageCause.WRONG_INSTALLATION: Reason.WRONG_INSTALLATION,
    DamageCause.MAN_MADE: Reason.MAN_MADE,
    DamageCause.FORCE_MAJEURE: Reason.FORCE_MAJEURE,
}


@dataclass(frozen=True)
class WarrantyTerms:
    months: int
    starts_from: str  # "sale" | "installation"
    sale_date: dt.date | None
    installation_date: dt.date | None
    extended_until: dt.date | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What is known about this case; the defaults describe an ordinary defect with full papers."""

    voucher_present: bool = True
    invoice_present: bool = True
    date_proven: bool = False
    voucher_altered: bool = False
    serial_matches: bool = True
    damage_cause: DamageCause = DamageCause.NONE
    unauthorised_repair: bool = False


@dataclass(frozen=True)
class WarrantyAnswer:
    covered: bool
    reasons: tuple[Reason, ...]
    starts_on: dt.date | None
    ends_on: dt.date | None  # last day covered by the standard warranty
    extended_until: dt.date | None

    @property
    def messages(self) -> list[str]:
        return [str(REASON_TEXT[r]) for r in self.reasons]


@dataclass(frozen=True)
class _Period:
    starts_on: dt.date | None
    ends_on: dt.date | None = field(default=None)


def warranty_period(terms: WarrantyTerms) -> _Period:
    """The standard period: from the start date through the day before the same date N months later.

    A policy counted from installation falls back to the sale date when the unit was never installed.
    """
    start = terms.installation_date if terms.starts_from == "installation" else terms.sale_date
    if start is None:
        start = terms.sale_date
    if start is None:
        return _Period(None, None)
    return _Period(start, add_months(start, terms.months) - dt.timedelta(days=1))


def warranty_check(terms: WarrantyTerms, on: dt.date, facts: CaseFacts | None = None) -> WarrantyAnswer:
    """Covered or not on date `on`, with every reason that applies (all exclusions, not just the first)."""
    facts = facts or CaseFacts()
    period = warranty_period(terms)
    reasons: list[Reason] = []
    exclusions: list[Reason] = []

    in_standard = (
        period.starts_on is not None and period.ends_on is not None and period.starts_on <= on <= period.ends_on
    )
    in_extended = (
        terms.extended_until is not None
        and period.starts_on is not None
        and period.starts_on <= on <= terms.extended_until
        and not in_standard
    )
    if period.starts_on is None:
        exclusions.append(Reason.NO_START_DATE)
    elif on < period.starts_on:
        exclusions.append(Reason.NOT_STARTED)
    elif in_standard:
        reasons.append(Reason.IN_PERIOD)
    elif in_extended:
        reasons.append(Reason.IN_EXTENDED_PERIOD)
    else:
        exclusions.append(Reason.EXPIRED)

    if facts.voucher_altered:
        exclusions.append(Reason.VOUCHER_ALTERED)
    if not facts.serial_matches:
        exclusions.append(Reason.SERIAL_MISMATCH)
    if not facts.voucher_present and not facts.invoice_present:
        if facts.date_proven:
            reasons.append(Reason.DATE_PROVEN)
        else:
            exclusions.append(Reason.NO_VOUCHER)
    if facts.damage_cause in _CAUSE_REASON:
        exclusions.append(_CAUSE_REASON[facts.damage_cause])
    if facts.unauthorised_repair:
        exclusions.append(Reason.UNAUTHORISED_REPAIR)

    covered = not exclusions
    return WarrantyAnswer(
        covered=covered,
        reasons=tuple(exclusions if exclusions else reasons),
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        extended_until=terms.extended_until,
    )


# --- fees -------------------------------------------------------------------------------------


class ScheduleLike(Protocol):
    @property
    def region_id(self) -> str | None: ...

    @property
    def effective_from(self) -> dt.date: ...


S = TypeVar("S", bound=ScheduleLike)


def region_chain(region_code: str | None) -> list[str | None]:
    """The region and its ancestors, most specific first, then None (national).

    440305 → [440305, 440300, 440000, None]
    """
    if not region_code:
        return [None]
    chain: list[str | None] = [region_code]
    city, province = region_code[:4] + "00", region_code[:2] + "0000"
    for code in (city, province):
        if code not in chain:
            chain.append(code)
    chain.append(None)
    return chain


def fee_schedule_pick(schedules: Iterable[S], *, region_code: str | None, on: dt.date) -> S | None:
    """The schedule for the most specific region that has one in force on `on` (the latest such)."""
    in_force = [s for s in schedules if s.effective_from <= on]
    for code in region_chain(region_code):
        candidates = [s for s in in_force if s.region_id == code]
        if candidates:
            return max(candidates, key=lambda s: s.effective_from)
    return None


@dataclass(frozen=True)
class Band:
    from_km: Decimal
    to_km: Decimal | None
    fee: Decimal


def call_out_fee(bands: Sequence[Band], distance_km: Decimal) -> Decimal | None:
    """The fee of the band with from_km ≤ distance < to_km; None when no band covers the distance."""
    if distance_km < 0:
        raise ValueError("distance must not be negative")
    for band in sorted(bands, key=lambda b: b.from_km):
        if band.from_km <= distance_km and (band.to_km is None or distance_km < band.to_km):
            return band.fee
    return None


def bands_overlap(bands: Sequence[Band]) -> bool:
    ordered = sorted(bands, key=lambda b: b.from_km)
    return any(a.to_km is None or a.to_km > b.from_km for a, b in zip(ordered, ordered[1:], strict=False))
