"""API schemas of the product archive and the fee schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class ProductLineOut(Schema):
    id: int
    code: str
    name: str


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    months: int
    starts_from: str
    covers_parts: bool
    covers_labour: bool
    covers_call_out: bool
    scope: str
    is_active: bool
    version: int


class PolicyIn(Schema):
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    months: int
    starts_from: str = "sale"
    covers_parts: bool = True
    covers_labour: bool = True
    covers_call_out: bool = True
    scope: str = ""
    is_active: bool = True


class PolicyUpdateIn(PolicyIn):
    version: int


class ProductModelOut(Schema):
    id: int
    code: str
    name: str
    product_line: ProductLineOut
    category_id: int | None
    brand: str
    warranty_policy: PolicyOut
    dealer_price: Decimal | None
    market_price: Decimal | None
    needs_installation: bool
    is_active: bool
    version: int


class ProductModelIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    product_line_id: int
    warranty_policy_id: int
    category_id: int | None = None
    brand: str = Field("", max_length=50)
    dealer_price: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    market_price: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    needs_installation: bool = False
    is_active: bool = True


class ProductModelUpdateIn(ProductModelIn):
    version: int


class UnitOut(Schema):
    id: int
    serial: str
    product_model_id: int
    product_model_code: str
    product_model_name: str
    customer_id: int | None
    customer_name: str | None
    org_unit_id: int
    sale_date: dt.date | None
    installation_date: dt.date | None
    invoice_no: str
    voucher_no: str
    extended_warranty_until: dt.date | None
    status: str
    note: str
    version: int


class UnitIn(Schema):
    serial: str = Field(..., max_length=50)
    product_model_id: int
    org_unit_id: int
    customer_id: int | None = None
    sale_date: dt.date | None = None
    installation_date: dt.date | None = None
    invoice_no: str = Field("", max_length=40)
    voucher_no: str = Field("", max_length=40)
    extended_warranty_until: dt.date | None = None
    note: str = ""


class UnitUpdateIn(UnitIn):
    version: int


class TransferIn(Schema):
    customer_id: int
    on: dt.date
    reason: str = Field(..., max_length=200)


class WarrantyReasonOut(Schema):
    code: str
    message: str


class WarrantyOut(Schema):
    serial: str
    on: dt.date
    covered: bool
    reasons: list[WarrantyReasonOut]
    starts_on: dt.date | None
    ends_on: dt.date | None
    extended_until: dt.date | None
    policy: str
    covers_parts: bool
    covers_labour: bool
    covers_call_out: bool


class LabourItemOut(Schema):
    code: str
    name: str
    product_line_id: int | None
    standard_minutes: int
    price: Decimal


class BandOut(Schema):
    from_km: Decimal
    to_km: Decimal | None
    fee: Decimal


class FeeScheduleOut(Schema):
    id: int
    name: str
    region_code: str | None
    region: str | None
    effective_from: dt.date
    note: str


class FeeScheduleDetailOut(FeeScheduleOut):
    labour_items: list[LabourItemOut]
    call_out_bands: list[BandOut]


class LabourItemIn(Schema):
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    standard_minutes: int
    price: Decimal = Field(..., max_digits=10, decimal_places=2)
    product_line_id: int | None = None


class BandIn(Schema):
    from_km: Decimal = Field(..., max_digits=7, decimal_places=1)
    to_km: Decimal | None = Field(None, max_digits=7, decimal_places=1)
    fee: Decimal = Field(..., max_digits=10, decimal_places=2)


class FeeScheduleIn(Schema):
    name: str = Field(..., max_length=100)
    region_code: str | None = Field(None, max_length=6)
    effective_from: dt.date
    note: str = ""
    labour_items: list[LabourItemIn] = Field(default_factory=list, max_length=500)
    call_out_bands: list[BandIn] = Field(default_factory=list, max_length=50)


class QuoteLineOut(Schema):
    code: str
    name: str
    amount: Decimal


class QuoteOut(Schema):
    schedule_id: int
    schedule: str
    lines: list[QuoteLineOut]
    call_out_fee: Decimal
    total: Decimal
