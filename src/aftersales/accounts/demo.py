"""Demo data of the accounts app: an org tree across Chinese regions and staff of every role."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from aftersales.accounts import rules
from aftersales.accounts.models import OrgUnit, OrgUnitKind, User, UserKind
from aftersales.accounts.services import HEAD_OFFICE_CODE
from aftersales.core.demo import DemoContext, register

DEMO_PASSWORD = "Demo@2026"

REGIONS = [
    ("华东大区", "EC", [("上海", "徐汇"), ("杭州", "西湖"), ("南京", "鼓楼"), ("苏州", "工业园区"), ("合肥", "蜀山")]),
    ("华南大区", "SC", [("广州", "天河"), ("深圳", "南山"), ("福州", "鼓楼"), ("南宁", "青秀")]),
    ("华北大区", "NC", [("北京", "朝阳"), ("天津", "河西"), ("石家庄", "长安"), ("太原", "小店")]),
    ("西南大区", "SW", [("成都", "武侯"), ("重庆", "渝北"), ("昆明", "五华")]),
    ("华中大区", "CC", [("武汉", "洪山"), ("长沙", "岳麓"), ("郑州", "金水")]),
]
HQ_DEPARTMENTS = [
    ("客服中心", "CS", ["agent", "agent", "agent", "expert", "supervisor"]),
    ("品管部", "QA", ["qa", "qa"]),
    ("配件中心仓", "PW", ["parts_clerk", "parts_clerk"]),
    ("售后管理部", "AM", ["manager", "supervisor", "auditor"]),
]
OUTLET_STAFF = ["supervisor", "agent", "technician", "technician", "technician", "partner"]
STORE_STAFF = ["sales", "sales", "agent"]


def _unit(units: list[OrgUnit], name: str, code: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit(name=name, code=code, kind=kind, parent=parent)
    units.append(unit)
    return unit


@register(order=10, name="accounts")
def load(ctx: DemoContext) -> None:
    root = OrgUnit.objects.filter(code=HEAD_OFFICE_CODE).first()
    if root is None:
        root = OrgUnit.objects.create(name="总部", code=HEAD_OFFICE_CODE, kind=OrgUnitKind.COMPANY)
        root.path = rules.child_path("", root.pk)
        root.save(update_fields=["path"])
    root.name = "华安电器售后服务中心"
    root.save(update_fields=["name"])

    # Level by level, bulk-inserted; paths are filled once ids are known.
    plan: list[tuple[OrgUnit, list[str]]] = []
    departments = [
        OrgUnit(name=name, code=f"{HEAD_OFFICE_CODE}-{code}", kind=OrgUnitKind.DEPARTMENT, parent=root)
        for name, code, _staff in HQ_DEPARTMENTS
    ]
    regions = [OrgUnit(name=name, code=f"R-{code}", kind=OrgUnitKind.REGION, parent=root) for name, code, _c in REGIONS]
    OrgUnit.objects.bulk_create(departments + regions)
    plan += [(d, list(staff)) for d, (_n, _c, staff) in zip(departments, HQ_DEPARTMENTS, strict=True)]

    # Larger scales get more outlets per city. The bench scale stops at 8 per city (152 outlets, 456
    # technicians): a technician then takes ~3 of its 1,000,000 requests a working day, as in life.
    copies = max(1, ctx.scale.factor // (50 if ctx.scale.bulk else 10))
    outlets, stores = [], []
    for region, (_name, rcode, cities) in zip(regions, REGIONS, strict=True):
        for i, (city, district) in enumerate(cities):
            for k in range(copies):
                tag = f"{i:02d}{k:03d}"
                nth = f"第{k + 1}" if copies > 1 else ""
                outlets.append(
                    OrgUnit(
                        name=f"{city}{district}{nth}服务网点",
                        code=f"O-{rcode}{tag}",
                        kind=OrgUnitKind.OUTLET,
                        parent=region,
                        phone=ctx.faker.phone_number(),
                        address=f"{city}市{district}区{ctx.faker.street_address()}",
                    )
                )
                stores.append(
                    OrgUnit(
                        name=f"{city}{district}{nth}专卖店",
                        code=f"S-{rcode}{tag}",
                        kind=OrgUnitKind.STORE,
                        parent=region,
                        phone=ctx.faker.phone_number(),
                        address=f"{city}市{district}区{ctx.faker.street_address()}",
                    )
                )
    OrgUnit.objects.bulk_create(outlets + stores)
    plan += [(o, list(OUTLET_STAFF)) for o in outlets] + [(s, list(STORE_STAFF)) for s in stores]

    by_id = {u.pk: u for u in [root, *departments, *regions, *outlets, *stores]}
    for unit in [*departments, *regions, *outlets, *stores]:
        assert unit.parent_id is not None
        parent = by_id[unit.parent_id]
        unit.path = rules.child_path(parent.path, unit.pk)
        unit.depth = parent.depth + 1
    OrgUnit.objects.bulk_update([*departments, *regions, *outlets, *stores], ["path", "depth"], batch_size=1000)

    password = make_password(DEMO_PASSWORD)
    users: list[User] = []
    roles_of: list[str] = []
    counters: dict[str, int] = {}
    for unit, staff_roles in plan:
        for role in staff_roles:
            counters[role] = counters.get(role, 0) + 1
            users.append(
                User(
                    username=f"{role}{counters[role]:03d}",
                    full_name=ctx.faker.name(),
                    phone=ctx.faker.phone_number(),
                    email=f"{role}{counters[role]:03d}@example.cn",
                    employee_no=f"E{len(users) + 1:05d}",
                    kind=UserKind.STAFF,
                    org_unit=unit,
                    password=password,
                )
            )
            roles_of.append(role)
    User.objects.bulk_create(users, batch_size=1000)
    groups = {g.name: g for g in Group.objects.all()}
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=u.pk, group_id=groups[r].pk) for u, r in zip(users, roles_of, strict=True)], batch_size=2000
    )
    ctx.shared["org_units"] = {"root": root, "outlets": outlets, "stores": stores, "departments": departments}
    # The hotline (客服中心) serves the whole company: its staff see every unit.
    call_centre = departments[0]
    User.additional_units.through.objects.bulk_create(
        [
            User.additional_units.through(user_id=u.pk, orgunit_id=root.pk)
            for u in users
            if u.org_unit_id == call_centre.pk
        ]
    )
    ctx.shared["staff"] = list(zip(users, roles_of, strict=True))
    ctx.log(f"  {len(by_id)} org units, {len(users)} staff (demo password for every demo account: {DEMO_PASSWORD})")
