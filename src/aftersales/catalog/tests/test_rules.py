"""The warranty check (each exclusion, the boundary day, proven dates), fee schedule choice, call-out bands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.catalog import rules
from aftersales.catalog.rules import Band, CaseFacts, DamageCause, Reason, WarrantyTerms

SALE = dt.date(2025, 3, 15)
TERMS = WarrantyTerms(months=12, starts_from="sale", sale_date=SALE, installation_date=None)


def check(on: dt.date, terms: WarrantyTerms = TERMS, **facts) -> rules.WarrantyAnswer:
    return rules.warranty_check(terms, on, CaseFacts(**facts))


# --- the period and its boundary --------------------------------------------------------------


def test_covered_inside_the_period():
    answer = check(dt.date(2025, 9, 1))
    assert answer.covered
    assert answer.reasons == (Reason.IN_PERIOD,)
    assert answer.starts_on == SALE
    assert answer.ends_on == dt.date(2026, 3, 14)


def test_last_day_is_covered_and_the_next_is_not():
    assert check(dt.date(2026, 3, 14)).covered
    late = check(dt.date(2026, 3, 15))
    assert not late.covered
    assert late.reasons == (Reason.EXPIRED,)


def test_first_day_is_covered_and_the_day_before_is_not():
    assert check(SALE).covered
    early = check(SALE - dt.timedelta(days=1))
    assert not early.covered and early.reasons == (Reason.NOT_STARTED,)


def test_month_end_sale_ends_on_the_shorter_months_last_day_minus_one():
    terms = WarrantyTerms(months=1, starts_from="sale", sale_date=dt.date(2025, 1, 31), installation_date=None)
    assert rules.warranty_period(terms).ends_on == dt.date(2025, 2, 27)
    assert check(dt.date(2025, 2, 27), terms).covered
    assert not check(dt.date(2025, 2, 28), terms).covered


def test_leap_day_sale():
    terms = WarrantyTerms(months=12, starts_from="sale", sale_date=dt.date(2024, 2, 29), installation_date=None)
    assert rules.warranty_period(terms).ends_on == dt.date(2025, 2, 27)


def test_counted_from_installation():
    terms = WarrantyTerms(months=6, starts_from="installation", sale_date=SALE, installation_date=dt.date(2025, 4, 1))
    answer = check(dt.date(2025, 9, 30), terms)
    assert answer.covered and answer.starts_on == dt.date(2025, 4, 1) and answer.ends_on == dt.date(2025, 9, 30)
    assert not check(dt.date(2025, 10, 1), terms).covered


def test_installation_policy_falls_back_to_the_sale_date_when_never_installed():
    terms = WarrantyTerms(months=6, starts_from="installation", sale_date=SALE, installation_date=None)
    assert check(dt.date(2025, 9, 14), terms).starts_on == SALE


def test_no_start_date_is_not_covered():
    terms = WarrantyTerms(months=12, starts_from="sale", sale_date=None, installation_date=None)
    answer = check(dt.date(2025, 9, 1), terms)
    assert not answer.covered and answer.reasons == (Reason.NO_START_DATE,)


def test_zero_month_policy_covers_nothing():
    terms = WarrantyTerms(months=0, starts_from="sale", sale_date=SALE, installation_date=None)
    assert not check(SALE, terms).covered


def test_extended_warranty_covers_after_the_standard_period_until_its_last_day():
    terms = WarrantyTerms(
        months=12, starts_from="sale", sale_date=SALE, installation_date=None, extended_until=dt.date(2027, 3, 14)
    )
    answer = check(dt.date(2026, 6, 1), terms)
    assert answer.covered and answer.reasons == (Reason.IN_EXTENDED_PERIOD,)
    assert check(dt.date(2027, 3, 14), terms).covered
    assert check(dt.date(2027, 3, 15), terms).reasons == (Reason.EXPIRED,)


# --- each exclusion ---------------------------------------------------------------------------

ON = dt.date(2025, 9, 1)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"voucher_altered": True}, Reason.VOUCHER_ALTERED),
        ({"serial_matches": False}, Reason.SERIAL_MISMATCH),
        ({"damage_cause": DamageCause.MISUSE}, Reason.MISUSE),
        ({"damage_cause": DamageCause.WRONG_INSTALLATION}, Reason.WRONG_INSTALLATION),
        ({"voucher_present": False, "invoice_present": False}, Reason.NO_VOUCHER),
        ({"damage_cause": DamageCause.MAN_MADE}, Reason.MAN_MADE),
        ({"damage_cause": DamageCause.FORCE_MAJEURE}, Reason.FORCE_MAJEURE),
        ({"unauthorised_repair": True}, Reason.UNAUTHORISED_REPAIR),
    ],
)
def test_each_exclusion_refuses_with_its_reason(facts, reason):
    answer = check(ON, **facts)
    assert not answer.covered
    assert answer.reasons == (reason,)
    assert answer.messages and all(isinstance(m, str) and m for m in answer.messages)


def test_voucher_missing_but_invoice_present_is_covered():
    assert check(ON, voucher_present=False).covered
    assert check(ON, invoice_present=False).covered


def test_no_papers_but_date_proven_is_covered_with_that_basis():
    answer = check(ON, voucher_present=False, invoice_present=False, date_proven=True)
    assert answer.covered
    assert answer.reasons == (Reason.IN_PERIOD, Reason.DATE_PROVEN)


def test_every_applicable_reason_is_listed_not_only_the_first():
    answer = check(
        dt.date(2027, 1, 1),
        voucher_altered=True,
        serial_matches=False,
        damage_cause=DamageCause.MAN_MADE,
        unauthorised_repair=True,
    )
    assert set(answer.reasons) == {
        Reason.EXPIRED,
        Reason.VOUCHER_ALTERED,
        Reason.SERIAL_MISMATCH,
        Reason.MAN_MADE,
        Reason.UNAUTHORISED_REPAIR,
    }


def test_every_reason_has_a_message():
    assert set(rules.REASON_TEXT) == set(Reason)


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
    st.integers(min_value=1, max_value=120),
    st.integers(min_value=-400, max_value=4000),
)
def test_covered_exactly_between_start_and_end(sale: dt.date, months: int, offset: int):
    terms = WarrantyTerms(months=months, starts_from="sale", sale_date=sale, installation_date=None)
    on = sale + dt.timedelta(days=offset)
    answer = rules.warranty_check(terms, on)
    assert answer.ends_on is not None and answer.ends_on >= sale
    assert answer.covered == (sale <= on <= answer.ends_on)
    # the period ends the day before the same date `months` later
    assert answer.ends_on + dt.timedelta(days=1) == rules.add_months(sale, months)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)), st.integers(0, 240))
def test_add_months_keeps_the_day_or_clamps_to_month_end(day: dt.date, months: int):
    result = rules.add_months(day, months)
    assert (result.year - day.year) * 12 + result.month - day.month == months
    assert result.day == day.day or (result.day < day.day and (result + dt.timedelta(days=1)).day == 1)


# --- fees -------------------------------------------------------------------------------------


class S:
    def __init__(self, region_id, effective_from, name=""):
        self.region_id, self.effective_from, self.name = region_id, effective_from, name


SCHEDULES = [
    S(None, dt.date(2025, 1, 1), "national-2025"),
    S(None, dt.date(2026, 1, 1), "national-2026"),
    S("440000", dt.date(2025, 6, 1), "guangdong"),
    S("440300", dt.date(2026, 7, 1), "shenzhen"),
]


@pytest.mark.parametrize(
    ("region", "on", "expected"),
    [
        (None, dt.date(2025, 5, 1), "national-2025"),
        (None, dt.date(2026, 5, 1), "national-2026"),
        ("310104", dt.date(2026, 5, 1), "national-2026"),
        ("440305", dt.date(2025, 7, 1), "guangdong"),
        ("440305", dt.date(2026, 6, 30), "guangdong"),
        ("440305", dt.date(2026, 7, 1), "shenzhen"),
        ("440106", dt.date(2026, 8, 1), "guangdong"),
        ("440305", dt.date(2024, 12, 31), None),
    ],
)
def test_fee_schedule_pick_most_specific_region_in_force(region, on, expected):
    picked = rules.fee_schedule_pick(SCHEDULES, region_code=region, on=on)
    assert (picked.name if picked else None) == expected


def test_region_chain():
    assert rules.region_chain("440305") == ["440305", "440300", "440000", None]
    assert rules.region_chain("440300") == ["440300", "440000", None]
    assert rules.region_chain("440000") == ["440000", None]
    assert rules.region_chain(None) == [None]


BANDS = [
    Band(Decimal("0"), Decimal("10"), Decimal("0")),
    Band(Decimal("10"), Decimal("30"), Decimal("50")),
    Band(Decimal("30"), None, Decimal("120")),
]


@pytest.mark.parametrize(
    ("km", "fee"),
    [("0", "0"), ("9.9", "0"), ("10", "50"), ("29.9", "50"), ("30", "120"), ("500", "120")],
)
def test_call_out_fee_bands_include_the_lower_bound(km, fee):
    assert rules.call_out_fee(BANDS, Decimal(km)) == Decimal(fee)


def test_call_out_fee_gaps_and_negative_distance():
    assert rules.call_out_fee([Band(Decimal("5"), Decimal("10"), Decimal("1"))], Decimal("2")) is None
    with pytest.raises(ValueError, match="negative"):
        rules.call_out_fee(BANDS, Decimal("-1"))


def test_bands_overlap():
    assert not rules.bands_overlap(BANDS)
    assert rules.bands_overlap(
        [Band(Decimal("0"), Decimal("10"), Decimal("0")), Band(Decimal("5"), None, Decimal("1"))]
    )
    assert rules.bands_overlap([Band(Decimal("0"), None, Decimal("0")), Band(Decimal("5"), None, Decimal("1"))])
