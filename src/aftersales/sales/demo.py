"""Demo sales: orders with delivered serials (which become sold units) and service contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from aftersales.catalog.models import ProductModel, SoldUnit, UnitOwnership
from aftersales.catalog.rules import add_months
from aftersales.core.demo import BulkWriter, DemoContext, register
from aftersales.sales.models import (
    ContractStatus,
    DeliveredUnit,
    DeliveryStatus,
    PaymentStatus,
    SalesOrder,
    SalesOrderLine,
    ServiceContract,
    ServiceLevel,
)

TODAY = dt.date(2026, 11, 22)
# Bench scale: how the units sold split over the product lines (净水 and 空调 sell most).
LINE_SHARE = {"WATER": 40, "AC": 33, "HEALTH": 18, "INDUSTRY": 9}


@register(order=40, name="sales")
def load(ctx: DemoContext) -> None:
    if ctx.scale.bulk:
        _load_bulk(ctx)
        return
    customers = ctx.shared["customers"]
    models = ctx.shared["product_models"]
    sales_by_unit: dict[int, list[int]] = {}
    for user, role in ctx.shared["staff"]:
        if role == "sales":
            sales_by_unit.setdefault(user.org_unit_id, []).append(user.pk)
    stores = ctx.shared["org_units"]["stores"]
    store_of_region = {s.parent_id: s for s in stores}

    orders: list[SalesOrder] = []
    plan: list[list[tuple[ProductModel, int, Decimal]]] = []
    per_day: dict[dt.date, int] = {}
    for customer in customers:
        if ctx.rng.random() > 0.75:
            continue
        order_date = TODAY - dt.timedelta(days=ctx.rng.randint(1, 3 * 365))
        per_day[order_date] = per_day.get(order_date, 0) + 1
        store = store_of_region.get(customer.org_unit.parent_id, ctx.rng.choice(stores))
        lines = []
        for model in ctx.rng.sample(models, ctx.rng.choice([1, 1, 1, 2])):
            price = (model.market_price or Decimal("1000")) * Decimal(ctx.rng.choice(["0.85", "0.9", "1"]))
            lines.append((model, ctx.rng.choice([1, 1, 1, 2]), price.quantize(Decimal("1"))))
        total = sum((p * q for _m, q, p in lines), Decimal("0"))
        delivered = order_date < TODAY - dt.timedelta(days=7) or ctx.rng.random() < 0.5
        orders.append(
            SalesOrder(
                number=f"SO{order_date:%Y%m%d}-D{per_day[order_date]:04d}",
                customer=customer,
                org_unit=store,
                sales_staff_id=ctx.rng.choice(sales_by_unit.get(store.pk, [None])),
                order_date=order_date,
                payment_status=PaymentStatus.PAID if delivered else ctx.rng.choice(PaymentStatus.values[:3]),
                delivery_status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.PENDING,
                total=total,
            )
        )
        plan.append(lines)
    SalesOrder.objects.bulk_create(orders, batch_size=2000)

    order_lines: list[SalesOrderLine] = []
    for order, lines in zip(orders, plan, strict=True):
        for model, qty, price in lines:
            order_lines.append(
                SalesOrderLine(order=order, product_model=model, quantity=qty, unit_price=price, amount=price * qty)
            )
    SalesOrderLine.objects.bulk_create(order_lines, batch_size=5000)

    units: list[SoldUnit] = []
    unit_lines: list[SalesOrderLine] = []
    for line in order_lines:
        order = line.order
        if order.delivery_status != DeliveryStatus.DELIVERED:
            continue
        for _ in range(line.quantity):
            installed = (
                order.order_date + dt.timedelta(days=ctx.rng.randint(1, 10))
                if line.product_model.needs_installation
                else None
            )
            units.append(
                SoldUnit(
                    serial=f"{line.product_model.code.replace('-', '')}{order.order_date:%y%m}{len(units) + 1:07d}",
                    product_model=line.product_model,
                    customer=order.customer,
                    org_unit=order.org_unit,
                    sale_date=order.order_date,
                    installation_date=installed if installed and installed <= TODAY else None,
                    invoice_no=f"{ctx.rng.randint(10**11, 10**12 - 1)}",
                    voucher_no=f"SB{order.order_date:%Y}{len(units) + 1:07d}",
                )
            )
            unit_lines.append(line)
    SoldUnit.objects.bulk_create(units, batch_size=5000)
    DeliveredUnit.objects.bulk_create(
        [DeliveredUnit(line=line, unit=unit) for line, unit in zip(unit_lines, units, strict=True)], batch_size=5000
    )
    UnitOwnership.objects.bulk_create(
        [
            UnitOwnership(unit=u, customer=line.order.customer, from_date=line.order.order_date, reason="购买")
            for u, line in zip(units, unit_lines, strict=True)
        ],
        batch_size=5000,
    )

    contracts: list[ServiceContract] = []
    covered: list[tuple[int, list[SoldUnit]]] = []
    by_customer: dict[int, list[SoldUnit]] = {}
    first_sale: dict[int, dt.date] = {}
    for unit, line in zip(units, unit_lines, strict=True):
        customer_id = line.order.customer_id
        by_customer.setdefault(customer_id, []).append(unit)
        first_sale[customer_id] = min(first_sale.get(customer_id, line.order.order_date), line.order.order_date)
    for i, (customer_id, owned) in enumerate(by_customer.items()):
        if ctx.rng.random() > 0.12:
            continue
        starts = first_sale[customer_id]
        years = ctx.rng.choice([1, 2, 3])
        ends = add_months(starts, 12 * years) - dt.timedelta(days=1)
        status = ContractStatus.ACTIVE if ends >= TODAY else ContractStatus.EXPIRED
        contracts.append(
            ServiceContract(
                number=f"SC{starts:%Y}-D{i + 1:05d}",
                customer_id=customer_id,
                org_unit=owned[0].org_unit,
                starts_on=starts,
                ends_on=ends,
                service_level=ctx.rng.choice(ServiceLevel.values),
                included_visits=ctx.rng.choice([2, 4, 12]),
                includes_parts=ctx.rng.random() < 0.3,
                extended_warranty_months=ctx.rng.choice([0, 12, 24]),
                price=Decimal(ctx.rng.choice([199, 399, 699, 1299])),
                status=status,
            )
        )
        covered.append((len(contracts) - 1, owned))
    ServiceContract.objects.bulk_create(contracts, batch_size=2000)
    through = ServiceContract.units.through
    through.objects.bulk_create(
        [through(servicecontract_id=contracts[i].pk, soldunit_id=u.pk) for i, owned in covered for u in owned],
        batch_size=5000,
    )
    ctx.shared["units"] = units
    ctx.log(f"  {len(orders)} orders, {len(units)} sold units, {len(contracts)} service contracts")


def _load_bulk(ctx: DemoContext) -> None:
    """The bench scale: ~1.5 units per customer sold over three years, in the customer's own city.

    Shares `ctx.shared["unit_rows"]`: the first unit id and, per unit in id order, the customer's
    position in `customer_rows`, the product model's position in `product_models`, the sale date
    (ordinal) and the serial.
    """
    rng = ctx.rng
    writer = BulkWriter(ctx)
    customers = ctx.shared["customer_rows"]
    models: list[ProductModel] = ctx.shared["product_models"]
    org_units = ctx.shared["org_units"]
    # Each outlet and store sells through the store of its own city (same code after the kind letter).
    store_by_code = {s.code[1:]: s.pk for s in org_units["stores"]}
    store_of = {u.pk: store_by_code[u.code[1:]] for u in [*org_units["outlets"], *org_units["stores"]]}
    sales_by_unit: dict[int, list[int]] = {}
    for user, role in ctx.shared["staff"]:
        if role == "sales":
            sales_by_unit.setdefault(user.org_unit_id, []).append(user.pk)
    per_line = {code: sum(1 for m in models if m.product_line.code == code) for code in LINE_SHARE}
    cum_weights, total = [], 0.0
    for m in models:
        line = m.product_line.code
        total += LINE_SHARE.get(line, 10) / max(per_line.get(line, 1), 1)
        cum_weights.append(total)
    model_positions = list(range(len(models)))
    prices = [[int((m.market_price or Decimal("1000")) * Decimal(f)) for f in ("0.85", "0.9", "1")] for m in models]
    codes = [m.code.replace("-", "") for m in models]
    today = ctx.now.date()
    stamp = writer.when(ctx.now.replace(tzinfo=None))
    order_id = writer.next_id(SalesOrder)
    line_id = writer.next_id(SalesOrderLine)
    unit_id = first_unit_id = writer.next_id(SoldUnit)
    orders, lines, units, delivered, owners = [], [], [], [], []
    unit_customer: list[int] = []
    unit_model: list[int] = []
    unit_sale: list[int] = []
    serials: list[str] = []
    # customer position -> (first sale, [unit ids], store) for the service contracts
    owned: dict[int, tuple[dt.date, list[int], int]] = {}
    first_customer = customers["first_id"]
    for position, org_unit in enumerate(customers["units"]):
        if rng.random() > 0.9:
            continue
        customer_id = first_customer + position
        order_date = today - dt.timedelta(days=rng.randint(1, 3 * 365))
        day = str(order_date)
        store = store_of.get(org_unit, org_unit)
        is_delivered = order_date < today - dt.timedelta(days=7) or rng.random() < 0.5
        order_total = 0
        for model in rng.choices(model_positions, cum_weights=cum_weights, k=rng.choice([1, 1, 2])):
            qty = rng.choice([1, 1, 1, 2])
            price = rng.choice(prices[model])
            order_total += price * qty
            lines.append((line_id, qty, str(price), str(price * qty), order_id, models[model].pk))
            if is_delivered:
                for _ in range(qty):
                    installed = None
                    if models[model].needs_installation:
                        installed_on = order_date + dt.timedelta(days=rng.randint(1, 10))
                        installed = str(installed_on) if installed_on <= today else None
                    serial = f"{codes[model]}{order_date:%y%m}{unit_id:07d}"
                    units.append(
                        (
                            unit_id,
                            stamp,
                            stamp,
                            serial,
                            models[model].pk,
                            customer_id,
                            store,
                            day,
                            installed,
                            f"{rng.randint(10**11, 10**12 - 1)}",
                            f"SB{order_date:%Y}{unit_id:07d}",
                        )
                    )
                    delivered.append((line_id, unit_id))
                    owners.append((unit_id, customer_id, day, "购买"))
                    unit_customer.append(position)
                    unit_model.append(model)
                    unit_sale.append(order_date.toordinal())
                    serials.append(serial)
                    first, ids, _store = owned.get(position, (order_date, [], store))
                    ids.append(unit_id)
                    owned[position] = (min(first, order_date), ids, store)
                    unit_id += 1
            line_id += 1
        orders.append(
            (
                order_id,
                stamp,
                stamp,
                f"SO{order_date:%Y%m%d}-D{order_id:07d}",
                customer_id,
                store,
                rng.choice(sales_by_unit.get(store, [None])),  # type: ignore[list-item]
                day,
                PaymentStatus.PAID if is_delivered else rng.choice(PaymentStatus.values[:3]),
                DeliveryStatus.DELIVERED if is_delivered else DeliveryStatus.PENDING,
                str(order_total),
            )
        )
        order_id += 1
    tables = [SalesOrder, SalesOrderLine, SoldUnit, DeliveredUnit, UnitOwnership, ServiceContract]
    with writer.indexes_deferred(*tables, ServiceContract.units.through):
        with ctx.timed(f"{len(orders)} orders, {len(lines)} order lines"):
            writer.insert(
                SalesOrder,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "number",
                    "customer_id",
                    "org_unit_id",
                    "sales_staff_id",
                    "order_date",
                    "payment_status",
                    "delivery_status",
                    "total",
                ],
                orders,
            )
            writer.insert(
                SalesOrderLine, ["id", "quantity", "unit_price", "amount", "order_id", "product_model_id"], lines
            )
        del orders, lines
        with ctx.timed(f"{len(units)} sold units, deliveries, ownerships"):
            writer.insert(
                SoldUnit,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "serial",
                    "product_model_id",
                    "customer_id",
                    "org_unit_id",
                    "sale_date",
                    "installation_date",
                    "invoice_no",
                    "voucher_no",
                ],
                units,
            )
            writer.insert(DeliveredUnit, ["line_id", "unit_id"], delivered)
            writer.insert(UnitOwnership, ["unit_id", "customer_id", "from_date", "reason"], owners)
        unit_count = len(units)
        del units, delivered, owners

        contract_id = writer.next_id(ServiceContract)
        contracts: list[tuple[Any, ...]] = []
        covered: list[tuple[int, int]] = []
        for position, (starts, ids, store) in owned.items():
            if rng.random() > 0.12:
                continue
            ends = add_months(starts, 12 * rng.choice([1, 2, 3])) - dt.timedelta(days=1)
            contracts.append(
                (
                    contract_id,
                    stamp,
                    stamp,
                    f"SC{starts:%Y}-D{contract_id:07d}",
                    first_customer + position,
                    store,
                    str(starts),
                    str(ends),
                    rng.choice(ServiceLevel.values),
                    rng.choice([2, 4, 12]),
                    rng.random() < 0.3,
                    rng.choice([0, 12, 24]),
                    str(rng.choice([199, 399, 699, 1299])),
                    ContractStatus.ACTIVE if ends >= today else ContractStatus.EXPIRED,
                )
            )
            covered.extend((contract_id, pk) for pk in ids)
            contract_id += 1
        with ctx.timed(f"{len(contracts)} service contracts"):
            writer.insert(
                ServiceContract,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "number",
                    "customer_id",
                    "org_unit_id",
                    "starts_on",
                    "ends_on",
                    "service_level",
                    "included_visits",
                    "includes_parts",
                    "extended_warranty_months",
                    "price",
                    "status",
                ],
                contracts,
            )
            writer.insert(ServiceContract.units.through, ["servicecontract_id", "soldunit_id"], covered)
    writer.finish()
    shared: dict[str, Any] = {
        "first_id": first_unit_id,
        "customer": unit_customer,
        "model": unit_model,
        "sale": unit_sale,
        "serial": serials,
    }
    ctx.shared["unit_rows"] = shared
    ctx.log(f"  {len(owned)} customers with units, {unit_count} sold units, {len(contracts)} service contracts")
