"""Reads of the portal: the signed-in customer's own units, a unit behind a QR token, label sheets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from aftersales.accounts.models import OrgUnit
from aftersales.catalog import selectors as catalog_selectors
from aftersales.catalog.models import SoldUnit
from aftersales.catalog.services import normalise_serial
from aftersales.core.errors import NotFound
from aftersales.customers.models import Customer
from aftersales.service.models import Channel, ServiceRequest
from aftersales.service.policies import customer_id_of, is_customer_actor


def portal_customer(*, actor: Any) -> Customer | None:
    """The customer record a portal account belongs to (None for staff and unlinked accounts)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not is_customer_actor(actor):
        return None
    customer_id = customer_id_of(actor)
    if customer_id is None:
        return None
    return Customer.objects.filter(pk=customer_id).prefetch_related("phones").first()


def customer_units(*, actor: Any) -> QuerySet[SoldUnit]:
    """The units the signed-in customer owns; nothing for anyone else."""
    customer_id = customer_id_of(actor) if getattr(actor, "is_authenticated", False) else None
    if customer_id is None:
        return SoldUnit.objects.none()
    return (
        SoldUnit.objects.filter(customer_id=customer_id).select_related("product_model").order_by("-sale_date", "-id")
    )


def scan_unit(*, unit_id: int) -> SoldUnit:
    """The unit behind a verified QR token. The signed token is the permission: whoever holds the sticker
    may report a fault on that unit (and sees its model, serial, purchase date and warranty, no more)."""
    unit = SoldUnit.objects.select_related("product_model__warranty_policy", "customer").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def qr_unit(*, actor: Any, unit_id: int) -> SoldUnit:
    """A unit whose QR code the actor may have: staff within their scope, a customer their own units."""
    if is_customer_actor(actor):
        unit = customer_units(actor=actor).filter(pk=unit_id).first()
        if unit is None:
            raise NotFound()
        return unit
    if actor is None or not actor.has_perm("catalog.view_soldunit"):
        raise NotFound()
    return catalog_selectors.unit_get(actor=actor, unit_id=unit_id)


def label_units(
    *, actor: Any, ids: Sequence[int] = (), customer_id: int | None = None, serials: Sequence[str] = (), limit: int
) -> list[SoldUnit]:
    """The units of a label sheet, scoped by `catalog.selectors.unit_list`: by id or serial (in the order
    given) and/or every unit of one customer (by serial). Unknown or invisible units are left out."""
    qs = catalog_selectors.unit_list(actor=actor)
    result: list[SoldUnit] = []
    if ids:
        by_id = {u.pk: u for u in qs.filter(pk__in=list(ids)[:limit])}
        result += [by_id[i] for i in ids if i in by_id]
    if serials:
        wanted = [normalise_serial(s) for s in serials][:limit]
        by_serial = {u.serial: u for u in qs.filter(serial__in=wanted)}
        result += [by_serial[s] for s in wanted if s in by_serial]
    if customer_id:
        result += list(qs.filter(customer_id=customer_id).order_by("serial")[:limit])
    unique = list({u.pk: u for u in result}.values())
    return unique[:limit]


def recent_scan_reports(*, phone: str, since: dt.datetime) -> int:
    """How many scan-to-report requests this (normalised) phone number has made since `since`."""
    return ServiceRequest.objects.filter(channel=Channel.SCAN, received_at__gte=since, contact_phone=phone).count()


def service_hotline() -> str:
    """The number printed on labels and shown on the phone pages: settings.SERVICE_HOTLINE, else the
    head office's phone."""
    configured = str(getattr(settings, "SERVICE_HOTLINE", "") or "")
    if configured:
        return configured
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").values_list("phone", flat=True).first()
    return root or ""
