"""Demo customers: individuals and companies in the outlets' cities, with phones, addresses, contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.core.demo import BulkWriter, DemoContext, register
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
# The second and third digits of Chinese mobile numbers (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = [
    "38",
    "39",
    "37",
    "36",
    "35",
    "50",
    "51",
    "52",
    "58",
    "59",
    "82",
    "87",
    "88",
    "47",
    "30",
    "31",
    "32",
    "55",
    "56",
    "85",
    "86",
    "33",
    "53",
    "80",
    "81",
    "89",
    "77",
    "99",
    "98",
    "66",
]


@register(order=20, name="customers")
def load(ctx: DemoContext) -> None:
    outlets = ctx.shared["org_units"]["outlets"] + ctx.shared["org_units"]["stores"]
    staff_by_unit: dict[int, list[int]] = {}
    for user, role in ctx.shared["staff"]:
        if role in {"sales", "agent"}:
            staff_by_unit.setdefault(user.org_unit_id, []).append(user.pk)
    districts = _districts_for(outlets)
    tags = CustomerTag.objects.bulk_create([CustomerTag(name=t) for t in TAGS])
    if ctx.scale.bulk:
        _load_bulk(ctx, outlets, staff_by_unit, districts, [t.pk for t in tags])
        return
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


def _load_bulk(
    ctx: DemoContext,
    outlets: list,
    staff_by_unit: dict[int, list[int]],
    districts: dict[int, list[str]],
    tags: list[int],
) -> None:
    """The bench scale: the same kind of customers, from name pools and raw inserts, kept as tuples.

    Shares `ctx.shared["customer_rows"]`: the first id and, per customer in id order, name, phones
    (space-separated, as the search document lists them) and org unit id.
    """
    rng = ctx.rng
    writer = BulkWriter(ctx)
    count = ctx.n(500)
    last = next_value(CUSTOMER_SEQUENCE, count=count)
    first_code = last - count + 1
    first_id = writer.next_id(Customer)
    # Faker once per pool entry, not per row: common surnames come up as often as Faker draws them.
    surnames = [ctx.faker.last_name() for _ in range(600)]
    given_names = [ctx.faker.first_name() for _ in range(600)]
    companies = [ctx.faker.company() for _ in range(600)]
    contact_names = [ctx.faker.name() for _ in range(300)]
    hobby_pairs = ["、".join(rng.sample(HOBBIES, 2)) for _ in range(60)]
    today = ctx.now.date()
    stamp = writer.when(ctx.now.replace(tzinfo=None))
    channels = list(SourceChannel.values)
    names: list[str] = []
    phones: list[str] = []
    units: list[int] = []
    customers, phone_rows, address_rows, contact_rows, tag_rows = [], [], [], [], []
    for i in range(count):
        pk = first_id + i
        unit = outlets[i % len(outlets)].pk
        is_company = rng.random() < 0.08
        if is_company:
            name, gender, birthday, hobbies = rng.choice(companies), "", None, ""
        else:
            name = rng.choice(surnames) + rng.choice(given_names)
            gender = rng.choice("mf")
            birthday = str(today - dt.timedelta(days=rng.randint(22 * 365, 80 * 365)))
            hobbies = rng.choice(hobby_pairs)
        customers.append(
            (
                pk,
                stamp,
                stamp,
                f"{CUSTOMER_PREFIX}{first_code + i:08d}",
                CustomerKind.COMPANY if is_company else CustomerKind.INDIVIDUAL,
                name,
                gender,
                unit,
                rng.choice(staff_by_unit.get(unit, [None])),  # type: ignore[list-item]
                rng.choice(TIERS),
                birthday,
                birthday is not None and rng.random() < 0.3,
                hobbies,
                rng.random() < 0.6,
                rng.choice(channels),
            )
        )
        number = f"1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        phone_rows.append((pk, number, number[::-1], True, ""))
        numbers = number
        second = f"1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}" if rng.random() < 0.2 else number
        if second != number:
            phone_rows.append((pk, second, second[::-1], False, "家人"))
            numbers = f"{number} {second}"
        address_rows.append(
            (
                pk,
                rng.choice(districts[unit]),
                f"{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室",
                True,
            )
        )
        if is_company:
            contact = f"1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            contact_rows.append((pk, stamp, stamp, rng.choice(contact_names), "设备主管", contact, True))
        for tag in rng.sample(tags, rng.choice([0, 0, 1, 2])):
            tag_rows.append((pk, tag))
        names.append(name)
        phones.append(numbers)
        units.append(unit)
    with writer.indexes_deferred(Customer, CustomerPhone, CustomerAddress, CustomerContact, Customer.tags.through):
        with ctx.timed(f"{count} customers"):
            writer.insert(
                Customer,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "code",
                    "kind",
                    "name",
                    "gender",
                    "org_unit_id",
                    "owner_id",
                    "tier",
                    "birthday",
                    "birthday_is_lunar",
                    "hobbies",
                    "marketing_consent",
                    "source_channel",
                ],
                customers,
            )
        del customers
        with ctx.timed(f"{len(phone_rows)} phones, {len(address_rows)} addresses, {len(contact_rows)} contacts, tags"):
            writer.insert(
                CustomerPhone, ["customer_id", "number", "reversed_number", "is_primary", "label"], phone_rows
            )
            writer.insert(CustomerAddress, ["customer_id", "region_id", "detail", "is_default"], address_rows)
            writer.insert(
                CustomerContact,
                ["customer_id", "created_at", "updated_at", "name", "title", "phone", "is_primary"],
                contact_rows,
            )
            writer.insert(Customer.tags.through, ["customer_id", "customertag_id"], tag_rows)
    writer.finish()
    shared: dict[str, Any] = {"first_id": first_id, "names": names, "phones": phones, "units": units}
    ctx.shared["customer_rows"] = shared
    ctx.log(f"  {count} customers, {len(phone_rows)} phone numbers")


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
