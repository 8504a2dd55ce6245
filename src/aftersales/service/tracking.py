"""Signed tracking links: a customer follows a request without an account, bound to their phone number.

The link carries the request id and a digest of the phone number given at intake; opening it asks for
the last four digits of that number (so a forwarded link alone does not reveal the request).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing

from aftersales.core.urls import reverse_held

SALT = "aftersales.service.track"
MAX_AGE_DAYS = 400


def _phone_digest(phone: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{phone}".encode()).hexdigest()[:16]


def token_for(request_id: int, phone: str) -> str:
    return signing.dumps({"r": request_id, "p": _phone_digest(phone)}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, str] | None:
    """(request id, phone digest) of a valid, unexpired token; None otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not isinstance(data.get("p"), str):
        return None
    return data["r"], data["p"]


def phone_matches(digest: str, phone: str) -> bool:
    return _phone_digest(phone) == digest


_PLACEHOLDER = "0"


def track_path(request_id: int, phone: str) -> str:
    """The tracking page's path with a fresh token, the path around it reversed once (core.urls); a
    token's characters (URL-safe base64, ':') are ones reverse() leaves as they are, as the tests check."""
    before, after = reverse_held("service:track", _PLACEHOLDER).rsplit(_PLACEHOLDER, 1)
    return f"{before}{token_for(request_id, phone)}{after}"
