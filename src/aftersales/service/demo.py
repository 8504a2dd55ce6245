"""Demo service requests: fault trees, assignment rules, and requests in every state with timelines."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils import timezone

from aftersales.catalog.models import ProductLine
from aftersales.core import search
from aftersales.core.demo import DemoContext, register
from aftersales.core.models import Sequence
from aftersales.service import rules
from aftersales.service.models import (
    AssignmentRule,
    FaultCategory,
    SearchDocument,
    ServiceRequest,
    TimelineEntry,
)

FAULTS = {
    "WATER": [
        ("LEAK", "漏水", ["底部漏水", "接头渗水"]),
        ("FLOW", "出水异常", ["出水小", "不出水"]),
        ("FILTER", "滤芯", ["滤芯到期", "TDS值偏高"]),
    ],
    "AC": [
        ("COOL", "制冷制热", ["不制冷", "不制热", "制冷效果差"]),
        ("NOISE", "噪音振动", ["外机噪音大"]),
        ("LEAK", "漏水", ["内机漏水"]),
        ("CODE", "故障代码", ["显示E1", "显示F4"]),
    ],
    "HEALTH": [
        ("POWER", "电源", ["无法开机"]),
        ("MOTOR", "电机", ["按摩头不转", "异响"]),
        ("DISPLAY", "显示屏", ["屏幕不亮"]),
    ],
    "INDUSTRY": [
        ("PRESS", "压力", ["压力不足"]),
        ("TEMP", "温度", ["温度报警"]),
        ("ELEC", "电气", ["跳闸", "变频器报错"]),
    ],
}
PROBLEMS = {
    "WATER": [
        "净水器底部漏水，地板已经湿了",
        "出水越来越小，怀疑滤芯堵了",
        "滤芯更换提醒灯一直亮",
        "TDS值偏高，水有异味",
    ],
    "AC": ["空调不制冷，开机半小时室温不降", "外机噪音很大，邻居投诉", "内机漏水滴到地板上", "开机显示E1故障代码"],
    "HEALTH": ["按摩椅无法开机，指示灯不亮", "按摩头不转，有异响", "空气净化器屏幕不亮"],
    "INDUSTRY": ["冷水机温度报警，生产线停了", "空压机压力不足，达不到设定值", "变频水泵跳闸"],
}
TYPES = ["repair"] * 6 + ["maintenance", "installation", "consultation", "consultation", "complaint", "return"]
STATE_PLAN = (
    ["closed"] * 9
    + ["resolved"] * 3
    + ["in_progress"] * 2
    + ["dispatched", "registered", "received", "waiting_parts", "waiting_customer", "cancelled"]
)


@register(order=60, name="service")
def load(ctx: DemoContext) -> None:
    lines = {line.code: line for line in ProductLine.objects.all()}
    categories: dict[str, list[FaultCategory]] = {}
    for code, items in FAULTS.items():
        line = lines.get(code)
        if line is None:
            continue
        for group_code, group_name, leaves in items:
            parent = FaultCategory.objects.create(product_line=line, code=group_code, name=group_name)
            categories.setdefault(code, [])
            for i, leaf in enumerate(leaves):
                categories[code].append(
                    FaultCategory.objects.create(
                        product_line=line, code=f"{group_code}-{i + 1}", name=leaf, parent=parent
                    )
                )
    outlets = ctx.shared["org_units"]["outlets"]
    AssignmentRule.objects.bulk_create(
        [
            AssignmentRule(name=f"{o.name}维修派工", priority=100, within_unit_id=o.parent_id, target_unit=o)
            for o in outlets[: min(len(outlets), 40)]
        ]
    )
    staff_by_unit: dict[int, list[int]] = {}
    for user, role in ctx.shared["staff"]:
        if role == "technician":
            staff_by_unit.setdefault(user.org_unit_id, []).append(user.pk)
    outlet_of_region: dict[int | None, Any] = {}
    for outlet in outlets:
        outlet_of_region.setdefault(outlet.parent_id, outlet)

    units_by_customer: dict[int, list] = {}
    for unit in ctx.shared.get("units", []):
        units_by_customer.setdefault(unit.customer_id, []).append(unit)
    customers = [c for c in ctx.shared["customers"] if c.pk in units_by_customer]
    now = timezone.now()
    per_day: Counter[dt.date] = Counter()
    requests: list[ServiceRequest] = []
    plans: list[tuple[str, str]] = []
    for i in range(ctx.n(300)):
        customer = customers[i % len(customers)]
        unit = ctx.rng.choice(units_by_customer[customer.pk])
        line_code = unit.product_model.product_line.code
        state = ctx.rng.choice(STATE_PLAN)
        age_days = (
            ctx.rng.randint(0, 3) if state not in {"closed", "resolved", "cancelled"} else ctx.rng.randint(2, 700)
        )
        received = now - dt.timedelta(days=age_days, minutes=ctx.rng.randint(0, 600))
        day = timezone.localtime(received).date()
        per_day[day] += 1
        kind = ctx.rng.choice(TYPES)
        problem = ctx.rng.choice(PROBLEMS.get(line_code, PROBLEMS["WATER"]))
        owner = outlet_of_region.get(customer.org_unit.parent_id, customer.org_unit)
        technicians = staff_by_unit.get(owner.pk, [])
        assigned = state not in {"received", "registered"} and technicians
        resolved_at = received + dt.timedelta(hours=ctx.rng.randint(2, 72)) if state in {"resolved", "closed"} else None
        requests.append(
            ServiceRequest(
                number=rules.request_number(day, per_day[day]),
                type=kind,
                status=state,
                urgency=ctx.rng.choice(["normal"] * 7 + ["urgent"] * 2 + ["critical"]),
                channel=ctx.rng.choice(["phone"] * 5 + ["portal", "scan", "wechat", "email", "walk_in"]),
                customer=customer,
                unit=unit,
                product_model_id=unit.product_model_id,
                title=problem[:30],
                description=f"{problem}。型号{unit.product_model.code}，购买于{unit.sale_date:%Y年%m月}。",
                fault_category=ctx.rng.choice(categories.get(line_code, [None])) if kind == "repair" else None,
                received_at=received,
                promised_at=received + dt.timedelta(hours=ctx.rng.choice([4, 24, 48])),
                org_unit=owner,
                assignee_id=ctx.rng.choice(technicians) if assigned else None,
                warranty_covered=ctx.rng.random() < 0.7,
                resolution="已上门检修，更换故障部件，试机正常" if resolved_at else "",
                resolved_at=resolved_at,
                closed_at=resolved_at + dt.timedelta(days=1) if state == "closed" and resolved_at else None,
                cancel_reason="客户自行解决" if state == "cancelled" else "",
                rating=ctx.rng.choice([5, 5, 5, 4, 4, 3, None]) if state == "closed" else None,
            )
        )
        plans.append((state, problem))
    requests.sort(key=lambda r: r.received_at)  # ids follow the time received, as live data would
    ServiceRequest.objects.bulk_create(requests, batch_size=2000)
    for day, count in per_day.items():
        Sequence.objects.update_or_create(name=f"sr-{day.isoformat()}", defaults={"value": count})
    entries: list[TimelineEntry] = []
    docs: list[SearchDocument] = []
    for request in requests:
        entries.append(
            TimelineEntry(
                request=request, kind="system", is_public=True, author_label="系统", data={"event": "received"}
            )
        )
        if request.status != "received":
            entries.append(
                TimelineEntry(
                    request=request,
                    kind="status",
                    author_label="客服",
                    data={"action": "register", "before": "received", "after": "registered"},
                )
            )
        if request.resolved_at:
            entries.append(
                TimelineEntry(
                    request=request,
                    kind="status",
                    is_public=True,
                    author_label="工程师",
                    body=request.resolution,
                    data={"action": "resolve", "after": "resolved"},
                )
            )
        docs.append(
            SearchDocument(
                request=request,
                body=search.index_text(
                    request.number,
                    request.customer.name,
                    request.unit.serial if request.unit else "",
                    request.title,
                    request.description,
                ),
            )
        )
    TimelineEntry.objects.bulk_create(entries, batch_size=5000)
    SearchDocument.objects.bulk_create(docs, batch_size=5000)
    ctx.log(f"  {len(requests)} service requests, {sum(len(v) for v in categories.values())} fault categories")
