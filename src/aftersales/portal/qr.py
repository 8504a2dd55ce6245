"""QR codes of sold units: a signed, never-expiring token per unit, its public URL, and the SVG.

A label sticker lives as long as the product, so the token has no time stamp and no expiry; it is a
`django.core.signing.Signer` signature of the unit id with its own salt. Rotating SECRET_KEY would void
every printed label: keep the old key in SECRET_KEY_FALLBACKS when rotating.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "aftersales.portal.unit-qr"


def unit_token(unit_id: int) -> str:
    """The same short token for a unit every time ("42:<signature>"), so reprinted labels match."""
    return signing.Signer(salt=SALT).sign(str(unit_id))


def read_unit_token(token: str) -> int | None:
    """The unit id of an untampered token; None for anything else."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def unit_path(unit_id: int) -> str:
    return reverse("scan:report", args=[unit_token(unit_id)])


def unit_url(unit_id: int) -> str:
    """The absolute address printed in the QR code: PUBLIC_BASE_URL + /s/<token>/."""
    return f"{settings.PUBLIC_BASE_URL}{unit_path(unit_id)}"


def _code(url: str) -> segno.QRCode:
    # Level M survives a scratched or dusty sticker and keeps the code small enough for a 24 mm label.
    return segno.make(url, error="m", micro=False)


def svg_document(url: str, *, title: str = "") -> bytes:
    """A stand-alone SVG file of the QR code (for download or an <img>)."""
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="svg", scale=8, border=2, title=title or None, xmldecl=True)
    return buffer.getvalue()


def svg_inline(url: str) -> str:
    """An <svg> element without a fixed size (CSS sizes it), for embedding many codes in one page."""
    return str(_code(url).svg_inline(scale=1, border=2, omitsize=True, svgclass="qr"))
