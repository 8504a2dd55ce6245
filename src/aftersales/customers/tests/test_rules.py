"""Phone numbers, masking, duplicate keys and lunar birthdays."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.customers import rules


@pytest.mark.parametrize(
    ("raw", "number", "kind"),
    [
        ("13812345678", "13812345678", "mobile"),
        ("138-1234-5678", "13812345678", "mobile"),
        ("+86 138 1234 5678", "13812345678", "mobile"),
        ("008613812345678", "13812345678", "mobile"),
        ("１３８１２３４５６７８", "13812345678", "mobile"),
        ("(021) 6123-4567", "02161234567", "landline"),
        ("0755-86123456", "075586123456", "landline"),
        ("0755-86123456转801", "075586123456", "landline"),
        ("12345678901", "12345678901", None),
        ("1381234567", "1381234567", None),
        ("abc", "", None),
    ],
)
def test_normalise_and_classify(raw, number, kind):
    assert rules.normalise_phone(raw) == number
    assert rules.phone_kind(rules.normalise_phone(raw)) == kind


def test_masks():
    assert rules.mask_phone("13812345678") == "138****5678"
    assert rules.mask_phone("075586123456") == "075*****3456"
    assert rules.mask_phone("12345") == "*2345"
    assert rules.mask_phone("") == ""
    assert rules.mask_email("zhang.san@example.cn") == "z****@example.cn"
    assert rules.mask_text("南山区科技园1号", keep=3) == "南山区****"
    assert rules.mask_name("张三丰") == "张**"


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_masked_mobile_keeps_only_first_three_and_last_four(number):
    masked = rules.mask_phone(number)
    assert masked[:3] == number[:3] and masked[-4:] == number[-4:] and masked[3:7] == "****"


def test_name_address_key_ignores_spacing_punctuation_and_width():
    a = rules.name_address_key("张三", "440305", "科技园 1号楼-201")
    b = rules.name_address_key("张三 ", "440305", "科技园１号楼２０１")
    assert a == b
    assert a != rules.name_address_key("张三", "440306", "科技园1号楼201")


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (dt.date(1980, 5, 20), dt.date(2026, 5, 19), dt.date(2026, 5, 20)),
        (dt.date(1980, 5, 20), dt.date(2026, 5, 20), dt.date(2026, 5, 20)),
        (dt.date(1980, 5, 20), dt.date(2026, 5, 21), dt.date(2027, 5, 20)),
        (dt.date(1980, 2, 29), dt.date(2026, 1, 1), dt.date(2026, 2, 28)),
        (dt.date(1980, 2, 29), dt.date(2027, 3, 1), dt.date(2028, 2, 29)),
    ],
)
def test_next_solar_birthday(birthday, today, expected):
    assert rules.next_birthday(birthday, lunar=False, today=today) == expected


def test_next_lunar_birthday_follows_the_lunar_calendar():
    # born 1990-10-03 = lunar 八月十五 (Mid-Autumn): in 2026 that is 2026-09-25, in 2027 2027-09-15
    born = dt.date(1990, 10, 3)
    assert rules.next_birthday(born, lunar=True, today=dt.date(2026, 1, 1)) == dt.date(2026, 9, 25)
    assert rules.next_birthday(born, lunar=True, today=dt.date(2026, 9, 26)) == dt.date(2027, 9, 15)


def test_lunar_day_thirty_falls_on_the_twenty_ninth_in_short_months():
    # born 2024-02-09 = lunar 2023 腊月三十 (the eve of Spring Festival 2024); lunar 2025's 腊月 has 29 days,
    # so in 2026 the birthday falls on 腊月廿九 = 2026-02-16 (Spring Festival eve 2026).
    assert rules.next_birthday(dt.date(2024, 2, 9), lunar=True, today=dt.date(2026, 1, 1)) == dt.date(2026, 2, 16)


@given(
    st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2045, 1, 1)),
)
def test_next_birthday_is_never_before_today_nor_more_than_a_year_ahead(born, today):
    for lunar in (False, True):
        nxt = rules.next_birthday(born, lunar=lunar, today=today)
        assert today <= nxt <= today + dt.timedelta(days=400)
