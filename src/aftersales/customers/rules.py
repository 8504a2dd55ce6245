"""Pure rules of the customer archive: phone numbers, masking of personal data, duplicate keys, lunar dates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from lunar_python import Lunar, Solar

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0 + 2-3 digits, then a 7-8 digit number; an extension may follow.
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalise_phone(raw: str) -> str:
    """Digits only, without +86 / 0086 / 86 country prefixes: "+86 138-1234-5678" → "13812345678"."""
    text = unicodedata.normalize("NFKC", raw or "")
    digits = re.sub(r"\D", "", text.split("转")[0].split("ext")[0].split("#")[0])
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (11, 10, 12) and digits[len(prefix)] in "1":
            digits = digits[len(prefix) :]
            break
        if digits.startswith(prefix) and _LANDLINE.match("0" + digits[len(prefix) :]):
            digits = "0" + digits[len(prefix) :]
            break
    return digits


def phone_digits(query: str) -> str:
    """The digits of a search box that holds a phone number or part of one (3 or more digits; spaces,
    dashes, brackets and + allowed), normalised as stored; "" for anything else."""
    compact = re.sub(r"[\s\-()+]", "", query.strip())
    return normalise_phone(compact) if compact.isdigit() and len(compact) >= 3 else ""


def phone_kind(number: str) -> str | None:
    """ "mobile", "landline", or None when the normalised number is neither."""
    if _MOBILE.match(number):
        return "mobile"
    if _LANDLINE.match(number):
        return "landline"
    return None


def mask_phone(number: str) -> str:
    """138****5678: the first three and last four digits stay, as Chinese apps show it."""
    if not number:
        return ""
    if len(number) >= 11:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) > 4:
        return "*" * (len(number) - 4) + number[-4:]
    return "*" * len(number)


def mask_text(text: str, *, keep: int = 0) -> str:
    """The first `keep` characters, then **** (a street address, an e-mail's local part …)."""
    if not text:
        return ""
    return text[:keep] + "****"


def mask_email(email: str) -> str:
    if "@" not in email:
        return mask_text(email)
    local, domain = email.split("@", 1)
    return f"{local[:1]}****@{domain}"


def mask_name(name: str) -> str:
    """张三丰 → 张**; used only where even the name is more than needed (exports without permission)."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def normalise_for_match(text: str) -> str:
    """Text compared for duplicates: full-width folded, spaces and punctuation removed, lower-case."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if ch.isalnum())


def name_address_key(name: str, region_code: str, detail: str) -> str:
    return f"{normalise_for_match(name)}|{region_code}|{normalise_for_match(detail)}"


def next_birthday(birthday: dt.date, *, lunar: bool, today: dt.date) -> dt.date:
    """The next date (today or later) on which the birthday falls.

    For a lunar birthday, the birthday's lunar month and day are taken from the stored (solar) birth
    date and found again in this or next lunar year; a lunar day 30 in a year whose month has 29
    days falls on the 29th. Feb 29 falls on Feb 28 in common years.
    """
    if not lunar:
        for year in (today.year, today.year + 1):
            try:
                candidate = birthday.replace(year=year)
            except ValueError:
                candidate = dt.date(year, 2, 28)
            if candidate >= today:
                return candidate
        raise AssertionError("unreachable")
    born = Solar.fromYmd(birthday.year, birthday.month, birthday.day).getLunar()
    month, day = abs(born.getMonth()), born.getDay()  # a leap-month birthday is kept in the ordinary month
    this_lunar_year = Solar.fromYmd(today.year, today.month, today.day).getLunar().getYear()
    for year in (this_lunar_year - 1, this_lunar_year, this_lunar_year + 1):
        for d in (day, day - 1):
            try:
                solar = Lunar.fromYmd(year, month, d).getSolar()
            except Exception:  # noqa: BLE001,S112 (the library raises a bare Exception for a missing day 30)
                continue
            candidate = dt.date(solar.getYear(), solar.getMonth(), solar.getDay())
            if candidate >= today:
                return candidate
            break
    raise AssertionError("no lunar birthday found within two years")
