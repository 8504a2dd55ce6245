"""Demo customers: individuals and companies in the outlets' cities, with phones, addresses, contacts."""

from __future__ import annotations

import datetime as dt

from aftersales.core.demo import DemoContext, register
from aftersales.core.models import Region
from aftersales.core.sequences import next_value
from aftersales.customers.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    CustomerKind,
    CustomerPhone,
    CustomerTag,
    SourceChannel,
)
from aftersales.customers.services import CUSTOMER_PREFIX, CUSTOMER_SEQUENCE

TAGS = ["老客户", "VIP", "团购", "企业客户", "需回访", "投诉过", "转介绍", "活动参与"]
HOBBIES = ["太极拳", "广场舞", "钓鱼", "书法", "旅游", "养花", "摄影", "象棋", "烹饪", "登山"]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "文化路", "新华路", "长江路", "科技园路", "滨江大道"]
TIERS = ["", "", "", "E", "E", "D", "D", "C", "B", "A"]


@register(order=20, name="customers")
def load(ctx: DemoContext) -> None:
    outlets = ctx.shared["org_units"]["outlets"] + ctx.shared["org_units"]["stores"]
    staff_by_unit: dict[int, list[int]] = {}
    for user, role in ctx.shared["staff"]:
        if role in {"sales", "agent"}:
            staff_by_unit.setdefault(user.org_unit_id, []).append(user.pk)
    districts = _districts_for(outlets)
    tags = CustomerTag.objects.bulk_create([CustomerTag(name=t) for t in TAGS])
    count = ctx.n(500)
    last = next_value(CUSTOMER_SEQUENCE, count=count)
    first = last - count + 1
    customers: list[Customer] = []
    today = dt.date(2026, 11, 22)
    for i in range(count):
        unit = outlets[i % len(outlets)]
        is_company = ctx.rng.random() < 0.08
        birthday = None if is_company else today - dt.timedelta(days=ctx.rng.randint(22 * 365, 80 * 365))
        customers.append(
            Customer(
                code=f"{CUSTOMER_PREFIX}{first + i:08d}",
                kind=CustomerKind.COMPANY if is_company else CustomerKind.INDIVIDUAL,
                name=ctx.faker.company() if is_company else ctx.faker.name(),
                gender="" if is_company else ctx.rng.choice("mf"),
                org_unit=unit,
                owner_id=ctx.rng.choice(staff_by_unit.get(unit.pk, [None])),
                tier=ctx.rng.choice(TIERS),
                birthday=birthday,
                birthday_is_lunar=bool(birthday) and ctx.rng.random() < 0.3,
                hobbies="、".join(ctx.rng.sample(HOBBIES, 2)) if not is_company else "",
                marketing_consent=ctx.rng.random() < 0.6,
                source_channel=ctx.rng.choice(SourceChannel.values),
            )
        )
    Customer.objects.bulk_create(customers, batch_size=2000)
    phones, addresses, contacts, tag_links = [], [], [], []
    through = Customer.tags.through
    for customer in customers:
        number = ctx.faker.phone_number()
        phones.append(CustomerPhone(customer=customer, number=number, reversed_number=number[::-1], is_primary=True))
        if ctx.rng.random() < 0.2:
            number2 = ctx.faker.phone_number()
            if number2 != number:
                phones.append(
                    CustomerPhone(customer=customer, number=number2, reversed_number=number2[::-1], label="家人")
                )
        region = ctx.rng.choice(districts[customer.org_unit_id])
        addresses.append(
            CustomerAddress(
                customer=customer,
                region_id=region,
                detail=(
                    f"{ctx.rng.choice(STREETS)}{ctx.rng.randint(1, 999)}号"
                    f"{ctx.rng.randint(1, 30)}栋{ctx.rng.randint(101, 2808)}室"
                ),
                is_default=True,
            )
        )
        if customer.kind == CustomerKind.COMPANY:
            contacts.append(
                CustomerContact(
                    customer=customer,
                    name=ctx.faker.name(),
                    title="设备主管",
                    phone=ctx.faker.phone_number(),
                    is_primary=True,
                )
            )
        for tag in ctx.rng.sample(tags, ctx.rng.choice([0, 0, 1, 2])):
            tag_links.append(through(customer_id=customer.pk, customertag_id=tag.pk))
    CustomerPhone.objects.bulk_create(phones, batch_size=5000, ignore_conflicts=True)
    CustomerAddress.objects.bulk_create(addresses, batch_size=5000)
    CustomerContact.objects.bulk_create(contacts, batch_size=5000)
    through.objects.bulk_create(tag_links, batch_size=5000)
    ctx.shared["customers"] = customers
    ctx.log(f"  {len(customers)} customers, {len(phones)} phone numbers")


def _districts_for(units: list) -> dict[int, list[str]]:
    """District codes near each unit: the districts of the city named at the start of the unit's name."""
    cities = {r.name.removesuffix("市"): r.code for r in Region.objects.filter(level=2)}
    cities.update(
        {r.name.removesuffix("市"): r.code + "_p" for r in Region.objects.filter(level=1, name__endswith="市")}
    )
    result: dict[int, list[str]] = {}
    cache: dict[str, list[str]] = {}
    for unit in units:
        city_code = next((code for name, code in cities.items() if unit.name.startswith(name)), None)
        if city_code is None:
            result[unit.pk] = ["110101"]
            continue
        if city_code not in cache:
            prefix = city_code[:2] if city_code.endswith("_p") else city_code[:4]
            cache[city_code] = list(
                Region.objects.filter(level=3, code__startswith=prefix).values_list("code", flat=True)
            ) or [city_code[:6]]
        result[unit.pk] = cache[city_code]
    return result
