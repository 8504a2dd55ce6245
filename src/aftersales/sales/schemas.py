"""API schemas of sales orders and service contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class LineIn(Schema):
    product_model_id: int
    quantity: int = Field(..., ge=1, le=100000)
    unit_price: Decimal = Field(..., max_digits=12, decimal_places=2)


class OrderIn(Schema):
    customer_id: int
    org_unit_id: int
    order_date: dt.date
    sales_staff_id: int | None = None
    note: str = ""
    lines: list[LineIn] = Field(..., min_length=1, max_length=200)


class DeliveredOut(Schema):
    unit_id: int
    serial: str


class LineOut(Schema):
    id: int
    product_model_id: int
    product_model_code: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    delivered: list[DeliveredOut]


class OrderOut(Schema):
    id: int
    number: str
    customer_id: int
    customer_name: str
    org_unit_id: int
    sales_staff_id: int | None
    order_date: dt.date
    payment_status: str
    delivery_status: str
    total: Decimal
    note: str
    version: int


class OrderDetailOut(OrderOut):
    lines: list[LineOut]


class DeliveryIn(Schema):
    line_id: int
    serial: str = Field(..., max_length=50)
    installation_date: dt.date | None = None


class DeliverIn(Schema):
    delivered_on: dt.date
    deliveries: list[DeliveryIn] = Field(..., min_length=1, max_length=1000)


class PaymentIn(Schema):
    version: int
    payment_status: str


class ContractIn(Schema):
    customer_id: int
    org_unit_id: int
    starts_on: dt.date
    ends_on: dt.date
    unit_ids: list[int] = Field(default_factory=list, max_length=1000)
    service_level: str = "standard"
    included_visits: int = Field(0, ge=0, le=1000)
    includes_parts: bool = False
    includes_labour: bool = True
    extended_warranty_months: int = 0
    price: Decimal = Field(Decimal("0"), max_digits=12, decimal_places=2)
    note: str = ""


class ContractOut(Schema):
    id: int
    number: str
    customer_id: int
    customer_name: str
    org_unit_id: int
    starts_on: dt.date
    ends_on: dt.date
    service_level: str
    included_visits: int
    includes_parts: bool
    includes_labour: bool
    extended_warranty_months: int
    price: Decimal
    status: str
    note: str
    version: int
    unit_ids: list[int]


class TransitionIn(Schema):
    version: int
    reason: str = Field("", max_length=500)
