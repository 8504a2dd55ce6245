"""Demo sales: orders with delivered serials (which become sold units) and service contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aftersales.catalog.models import ProductModel, SoldUnit, UnitOwnership
from aftersales.catalog.rules import add_months
from aftersales.core.demo import DemoContext, register
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


@register(order=40, name="sales")
def load(ctx: DemoContext) -> None:
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
