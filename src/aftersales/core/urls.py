"""Addresses reversed once: `reverse()` costs 30-200 µs a call, and some are drawn on every page or
written into every new request's message."""

from __future__ import annotations

from django.urls import get_script_prefix, reverse

_held: dict[tuple[str, str, tuple[str, ...]], str] = {}


def reverse_held(name: str, *args: str) -> str:
    """`reverse(name, args=args)`, held per script prefix: for patterns whose address depends on nothing
    else (no language prefix, no per-request URL configuration — this project has neither)."""
    key = (get_script_prefix(), name, args)
    url = _held.get(key)
    if url is None:
        url = _held[key] = reverse(name, args=list(args) or None)
    return url
