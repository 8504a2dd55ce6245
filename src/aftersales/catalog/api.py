"""API of the product archive: /product-lines, /warranty-policies, /products, /units (+ warranty), /fee-schedule."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from aftersales.accounts.policies import require_perm
from aftersales.catalog import selectors, services
from aftersales.catalog.models import ProductModel, SoldUnit, WarrantyPolicy
from aftersales.catalog.rules import CaseFacts, DamageCause
from aftersales.catalog.schemas import (
    FeeScheduleDetailOut,
    FeeScheduleIn,
    FeeScheduleOut,
    PolicyIn,
    PolicyOut,
    PolicyUpdateIn,
    ProductLineOut,
    ProductModelIn,
    ProductModelOut,
    ProductModelUpdateIn,
    QuoteOut,
    TransferIn,
    UnitIn,
    UnitOut,
    UnitUpdateIn,
    WarrantyOut,
)
from aftersales.core.errors import NotFound
from aftersales.core.pagination import PagePagination, Shaped
from aftersales.customers import selectors as customer_selectors

router = Router(tags=["products"])


# --- master data ------------------------------------------------------------------------------


@router.get("/product-lines", response=list[ProductLineOut])
def product_line_list(request: HttpRequest) -> Any:
    require_perm(request.user, "catalog.view_productmodel")
    return list(selectors.product_line_list())


@router.get("/warranty-policies", response=list[PolicyOut])
@paginate(PagePagination)
def policy_list(request: HttpRequest) -> Any:
    require_perm(request.user, "catalog.view_warrantypolicy")
    return selectors.warranty_policy_list()


def _policy_data(payload: PolicyIn) -> services.PolicyData:
    return services.PolicyData(**payload.dict(exclude={"version"}))


@router.post("/warranty-policies", response={201: PolicyOut})
def policy_create(request: HttpRequest, payload: PolicyIn) -> WarrantyPolicy:
    return services.warranty_policy_create(actor=request.user, data=_policy_data(payload))


@router.put("/warranty-policies/{policy_id}", response=PolicyOut)
def policy_update(request: HttpRequest, policy_id: int, payload: PolicyUpdateIn) -> WarrantyPolicy:
    require_perm(request.user, "catalog.view_warrantypolicy")
    policy = selectors.warranty_policy_list().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return services.warranty_policy_update(
        actor=request.user, policy=policy, expected_version=payload.version, data=_policy_data(payload)
    )


class ModelFilter(Schema):
    q: str = ""
    product_line_id: int | None = None
    is_active: bool | None = None


@router.get("/products", response=list[ProductModelOut], summary="Product models (型号)")
@paginate(PagePagination)
def model_list(request: HttpRequest, filters: Query[ModelFilter]) -> Any:
    require_perm(request.user, "catalog.view_productmodel")
    return selectors.product_model_list(q=filters.q, line_id=filters.product_line_id, active=filters.is_active)


@router.get("/products/{model_id}", response=ProductModelOut)
def model_detail(request: HttpRequest, model_id: int) -> ProductModel:
    require_perm(request.user, "catalog.view_productmodel")
    return selectors.product_model_get(model_id=model_id)


def _model_data(payload: ProductModelIn) -> services.ModelData:
    return services.ModelData(**payload.dict(exclude={"version"}))


@router.post("/products", response={201: ProductModelOut})
def model_create(request: HttpRequest, payload: ProductModelIn) -> ProductModel:
    model = services.product_model_create(actor=request.user, data=_model_data(payload))
    return selectors.product_model_get(model_id=model.pk)


@router.put("/products/{model_id}", response=ProductModelOut)
def model_update(request: HttpRequest, model_id: int, payload: ProductModelUpdateIn) -> ProductModel:
    require_perm(request.user, "catalog.view_productmodel")
    model = selectors.product_model_get(model_id=model_id)
    services.product_model_update(
        actor=request.user, model=model, expected_version=payload.version, data=_model_data(payload)
    )
    return selectors.product_model_get(model_id=model_id)


# --- units ------------------------------------------------------------------------------------


def unit_out(unit: SoldUnit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "serial": unit.serial,
        "product_model_id": unit.product_model_id,
        "product_model_code": unit.product_model.code,
        "product_model_name": unit.product_model.name,
        "customer_id": unit.customer_id,
        "customer_name": unit.customer.name if unit.customer else None,
        "org_unit_id": unit.org_unit_id,
        "sale_date": unit.sale_date,
        "installation_date": unit.installation_date,
        "invoice_no": unit.invoice_no,
        "voucher_no": unit.voucher_no,
        "extended_warranty_until": unit.extended_warranty_until,
        "status": unit.status,
        "note": unit.note,
        "version": unit.version,
    }


class UnitFilter(Schema):
    q: str = ""
    customer_id: int | None = None
    product_model_id: int | None = None
    status: str = ""


@router.get("/units", response=list[UnitOut], summary="Sold units (search by serial prefix, invoice or voucher number)")
@paginate(PagePagination)
def unit_list(request: HttpRequest, filters: Query[UnitFilter]) -> Any:
    qs = selectors.unit_list(
        actor=request.user,
        q=filters.q,
        customer_id=filters.customer_id,
        model_id=filters.product_model_id,
        status=filters.status,
    )
    return Shaped(qs, unit_out)


@router.get("/units/{unit_id}", response=UnitOut)
def unit_detail(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    return unit_out(selectors.unit_get(actor=request.user, unit_id=unit_id))


def _unit_data(payload: UnitIn) -> services.UnitData:
    return services.UnitData(**payload.dict(exclude={"version"}))


@router.post("/units", response={201: UnitOut}, summary="Register a sold unit")
def unit_create(request: HttpRequest, payload: UnitIn) -> dict[str, Any]:
    unit = services.unit_register(actor=request.user, data=_unit_data(payload))
    return unit_out(selectors.unit_get(actor=request.user, unit_id=unit.pk))


@router.put("/units/{unit_id}", response=UnitOut)
def unit_update(request: HttpRequest, unit_id: int, payload: UnitUpdateIn) -> dict[str, Any]:
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    services.unit_update(actor=request.user, unit=unit, expected_version=payload.version, data=_unit_data(payload))
    return unit_out(selectors.unit_get(actor=request.user, unit_id=unit_id))


@router.post("/units/{unit_id}/transfer", response=UnitOut, summary="Hand the unit to a new owner (history kept)")
def unit_transfer(request: HttpRequest, unit_id: int, payload: TransferIn) -> dict[str, Any]:
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    customer = customer_selectors.customer_get(actor=request.user, customer_id=payload.customer_id)
    services.unit_transfer(actor=request.user, unit=unit, customer=customer, on=payload.on, reason=payload.reason)
    return unit_out(selectors.unit_get(actor=request.user, unit_id=unit_id))


class WarrantyQuery(Schema):
    on: dt.date | None = None
    voucher_present: bool = True
    invoice_present: bool = True
    date_proven: bool = False
    voucher_altered: bool = False
    serial_matches: bool = True
    damage_cause: DamageCause = DamageCause.NONE
    unauthorised_repair: bool = False


@router.get("/units/{serial}/warranty", response=WarrantyOut, summary="Is the unit covered on a date, for these facts?")
def unit_warranty(request: HttpRequest, serial: str, query: Query[WarrantyQuery]) -> dict[str, Any]:
    unit = selectors.unit_get_by_serial(actor=request.user, serial=serial)
    on = query.on or timezone.localdate()
    facts = CaseFacts(**query.dict(exclude={"on"}))
    answer = selectors.unit_warranty(unit=unit, on=on, facts=facts)
    policy = unit.product_model.warranty_policy
    return {
        "serial": unit.serial,
        "on": on,
        "covered": answer.covered,
        "reasons": [{"code": str(r), "message": m} for r, m in zip(answer.reasons, answer.messages, strict=True)],
        "starts_on": answer.starts_on,
        "ends_on": answer.ends_on,
        "extended_until": answer.extended_until,
        "policy": policy.name,
        "covers_parts": policy.covers_parts,
        "covers_labour": policy.covers_labour,
        "covers_call_out": policy.covers_call_out,
    }


# --- fee schedule -----------------------------------------------------------------------------


def schedule_out(schedule: Any) -> dict[str, Any]:
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "region_code": schedule.region_id,
        "region": schedule.region.full_name if schedule.region else None,
        "effective_from": schedule.effective_from,
        "note": schedule.note,
    }


@router.get("/fee-schedule", response=list[FeeScheduleOut], summary="Versions of the service fee schedule")
@paginate(PagePagination)
def schedule_list(request: HttpRequest, region_code: str = "") -> Any:
    require_perm(request.user, "catalog.view_feeschedule")
    return Shaped(selectors.fee_schedule_list(region_code=region_code), schedule_out)


class QuoteQuery(Schema):
    region_code: str | None = None
    on: dt.date | None = None
    labour: str = ""
    distance_km: Decimal = Field(Decimal("0"), ge=0, le=100_000, description="distance to the customer, km")


@router.get(
    "/fee-schedule/quote", response=QuoteOut, summary="Price labour items and the call-out fee for a date and region"
)
def schedule_quote(request: HttpRequest, query: Query[QuoteQuery]) -> dict[str, Any]:
    require_perm(request.user, "catalog.view_feeschedule")
    quote = selectors.fee_quote(
        region_code=query.region_code,
        on=query.on or timezone.localdate(),
        labour_codes=[c.strip() for c in query.labour.split(",") if c.strip()],
        distance_km=query.distance_km,
    )
    return {
        "schedule_id": quote.schedule.pk,
        "schedule": quote.schedule.name,
        "lines": [{"code": x.code, "name": x.name, "amount": x.amount} for x in quote.lines],
        "call_out_fee": quote.call_out_fee,
        "total": quote.total,
    }


@router.get("/fee-schedule/{schedule_id}", response=FeeScheduleDetailOut)
def schedule_detail(request: HttpRequest, schedule_id: int) -> dict[str, Any]:
    require_perm(request.user, "catalog.view_feeschedule")
    schedule = selectors.fee_schedule_get(schedule_id=schedule_id)
    return {
        **schedule_out(schedule),
        "labour_items": list(schedule.labour_items.all()),
        "call_out_bands": list(schedule.call_out_bands.all()),
    }


@router.post("/fee-schedule", response={201: FeeScheduleDetailOut}, summary="A new version of the fee schedule")
def schedule_create(request: HttpRequest, payload: FeeScheduleIn) -> dict[str, Any]:
    schedule = services.fee_schedule_create(
        actor=request.user,
        name=payload.name,
        region_code=payload.region_code,
        effective_from=payload.effective_from,
        note=payload.note,
        labour_items=[services.LabourItemData(**i.dict()) for i in payload.labour_items],
        bands=[services.BandData(**b.dict()) for b in payload.call_out_bands],
    )
    return schedule_detail(request, schedule.pk)
