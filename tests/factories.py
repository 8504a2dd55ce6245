"""Builders for tests: a product line, policy, model, customer, unit and service request made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from aftersales.catalog import services as catalog
from aftersales.catalog.models import ProductLine, ProductModel, SoldUnit, WarrantyPolicy
from aftersales.customers import services as customers
from aftersales.customers.models import Customer
from aftersales.service import services as service
from aftersales.service.models import ServiceRequest


def product_model(actor: Any, *, code: str = "JS-100", months: int = 12, line_code: str = "WATER") -> ProductModel:
    line = ProductLine.objects.filter(code=line_code).first() or catalog.product_line_create(
        actor=actor, code=line_code, name="家用净水"
    )
    policy = WarrantyPolicy.objects.filter(code=f"P{months}").first() or catalog.warranty_policy_create(
        actor=actor, data=catalog.PolicyData(code=f"P{months}", name=f"整机{months}个月", months=months)
    )
    return catalog.product_model_create(
        actor=actor,
        data=catalog.ModelData(
            code=code,
            name="净水器",
            product_line_id=line.pk,
            warranty_policy_id=policy.pk,
            dealer_price=Decimal("1200.00"),
        ),
    )


def customer(actor: Any, unit: Any, *, name: str = "张三", phone: str = "13812345678", **kw: Any) -> Customer:
    data = customers.CustomerData(
        name=name,
        org_unit_id=unit.pk,
        phones=(customers.PhoneData(phone),) if phone else (),
        addresses=kw.pop("addresses", (customers.AddressData("440305", "科技园1号"),)),
        **kw,
    )
    return customers.customer_create(actor=actor, data=data, allow_duplicate=True)


def sold_unit(
    actor: Any,
    model: ProductModel,
    owner: Customer | None,
    unit: Any,
    *,
    serial: str = "SN0001",
    sale_date: dt.date | None = None,
) -> SoldUnit:
    return catalog.unit_register(
        actor=actor,
        data=catalog.UnitData(
            serial=serial,
            product_model_id=model.pk,
            org_unit_id=unit.pk,
            customer_id=owner.pk if owner else None,
            sale_date=sale_date or dt.date(2025, 3, 15),
            invoice_no="INV-1",
            voucher_no="V-1",
        ),
    )


def service_request(actor: Any, customer: Customer, title: str = "净水器漏水", **kw: Any) -> ServiceRequest:
    """A repair taken in by phone, not assigned automatically (`kw`: other RequestData fields)."""
    data = service.RequestData(
        type="repair", customer_id=customer.pk, title=title, channel="phone", auto_assign=False, **kw
    )
    return service.request_create(actor=actor, data=data)[0]
