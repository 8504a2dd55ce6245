"""Demo service requests: fault trees, assignment rules, and requests in every state with timelines."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from aftersales.catalog.models import ProductLine
from aftersales.catalog.selectors import unit_warranty
from aftersales.core import config_cache, search
from aftersales.core.demo import BulkWriter, DemoContext, register
from aftersales.core.models import Sequence
from aftersales.core.sequences import next_value
from aftersales.service import rules, timers
from aftersales.service.models import (
    AssignmentRule,
    FaultCategory,
    RequestTimer,
    SearchDocument,
    ServiceRequest,
    TimelineEntry,
)
from aftersales.service.search import index_compact
from aftersales.sla.services import sla_presets_load

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
    # Each outlet's requests go to its own technicians (the least loaded on duty, below their cap).
    AssignmentRule.objects.bulk_create(
        [AssignmentRule(name=f"{o.name}维修派工", priority=100, within_unit=o, target_unit=o) for o in outlets]
    )
    # The time limits the documents name, so that new requests get their due times.
    managers = [user for user, role in ctx.shared["staff"] if role == "manager"]
    if managers:
        sla_presets_load(actor=managers[0])
    if ctx.scale.bulk:
        _load_bulk(ctx, categories)
        return
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
                product_model=unit.product_model,  # loaded: the time limits match on its line
                title=problem[:30],
                description=f"{problem}。型号{unit.product_model.code}，购买于{unit.sale_date:%Y年%m月}。",
                fault_category=ctx.rng.choice(categories.get(line_code, [None])) if kind == "repair" else None,
                received_at=received,
                promised_at=received + dt.timedelta(hours=ctx.rng.choice([4, 24, 48])),
                org_unit=owner,
                assignee_id=ctx.rng.choice(technicians) if assigned else None,
                # As at intake: the unit's warranty answer on the day received (the page shows it beside today's).
                warranty_covered=None if kind in NO_WARRANTY else unit_warranty(unit=unit, on=day).covered,
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
    made = _timers_and_times(ctx, requests, entries, now)
    ctx.log(
        f"  {len(requests)} service requests, {made} time limits, "
        f"{sum(len(v) for v in categories.values())} fault categories"
    )


def _timers_and_times(
    ctx: DemoContext, requests: list[ServiceRequest], entries: list[TimelineEntry], now: dt.datetime
) -> int:
    """The demo requests' time limits, from the policies loaded above exactly as a live intake plans
    them (service.timers), met, paused or late as each request's history has it; the timeline entries
    put at the times of that history (registered minutes after receipt, resolved when resolved). The
    worker's SLA sweep then warns and escalates the open ones past their limits, as it would live."""
    entries_of: dict[int, list[TimelineEntry]] = {}
    for entry in entries:
        entries_of.setdefault(entry.request_id, []).append(entry)
    # One reading of the configuration's generation for the whole loop, as within a web request (the
    # policies do not change meanwhile), instead of one per planned request.
    scope = config_cache.request_started()
    try:
        new_timers = [timer for request in requests for timer in _timers_of(ctx, request, entries_of, now)]
    finally:
        config_cache.request_finished(scope)
    RequestTimer.objects.bulk_create(new_timers, batch_size=5000)
    ServiceRequest.objects.bulk_update(requests, ["sla_due_at", "sla_warn_at", "resolved_in_time"], batch_size=1000)
    TimelineEntry.objects.bulk_update(entries, ["created_at"], batch_size=1000)
    return len(new_timers)


def _timers_of(
    ctx: DemoContext, request: ServiceRequest, entries_of: dict[int, list[TimelineEntry]], now: dt.datetime
) -> list[RequestTimer]:
    """One demo request's timers (its copied limits and timeline times set on it in passing)."""
    received = request.received_at
    registered = min(received + dt.timedelta(minutes=ctx.rng.randint(2, 40)), now)
    waited = None
    if request.status in {"waiting_parts", "waiting_customer"}:
        waited = min(registered + dt.timedelta(minutes=ctx.rng.randint(30, 600)), now)
    for entry in entries_of.get(request.pk, []):
        action = (entry.data or {}).get("action")
        entry.created_at = {"register": registered, "resolve": request.resolved_at}.get(action or "") or received
    if request.status == "cancelled":
        return []
    # When each step came: registration meets the first response, resolution the rest.
    met_at = {"first_response": registered if request.status != "received" else None}
    if request.status not in {"received", "registered"}:
        met_at["complaint_transfer"] = min(registered + dt.timedelta(minutes=30), now)
    if request.status in {"in_progress", "waiting_parts", "waiting_customer"}:
        met_at["on_site"] = registered + (waited - registered) / 2 if waited else registered
    planned = timers.timers_plan(
        facts=timers.request_facts(request), received_at=received, unit_path=request.org_unit.path
    )
    mine = []
    for plan in planned:
        met = met_at.get(plan.metric) or request.resolved_at
        timer = RequestTimer(
            request=request,
            metric=plan.metric,
            policy_id=plan.policy_id,
            started_at=received,
            due_at=plan.due_at,
            warn_at=plan.warn_at,
            met_at=met,
            breached_at=met if met is not None and met > plan.due_at else None,
            paused_at=waited if met is None else None,
        )
        if timer.paused_at is not None and plan.due_at < timer.paused_at:
            timer.breached_at, timer.escalation_level = plan.due_at, 1
        mine.append(timer)
    request.sla_due_at, request.sla_warn_at = timers.soonest(mine)
    resolution = next((t for t in mine if t.metric == "resolution"), None)
    if request.resolved_at is not None and resolution is not None:
        request.resolved_in_time = resolution.breached_at is None
    return mine


# --- the bench scale ------------------------------------------------------------------------------
# 1,000,000 requests over 24 months, written as raw rows chunk by chunk (core.demo.BulkWriter) with
# their timeline, time limits and search documents. Text comes from the pools below, put together
# per row so that the texts vary and words like 漏水, 不制冷, 滤芯更换 hit a realistic share.

BENCH_DAYS = 730
CHUNK = 20_000

# What a repair is about, per product line: (fault code in FAULTS, weight, titles, details).
REPAIRS: dict[str, list[tuple[str, int, list[str], list[str]]]] = {
    "WATER": [
        (
            "LEAK-1",
            14,
            ["净水器底部漏水", "机器下面漏水", "净水器漏水"],
            [PROBLEMS["WATER"][0], "橱柜里一直在漏水，已关闭进水阀", "早上发现机器下方有一滩水"],
        ),
        ("LEAK-2", 8, ["接头渗水", "水管接头漏水"], ["进水管接头处渗水", "快接头一直滴水，拧紧后仍然漏水"]),
        ("FLOW-1", 10, ["出水很小", "出水变慢"], [PROBLEMS["WATER"][1], "接一杯水要好几分钟"]),
        ("FLOW-2", 7, ["净水器不出水", "不出水"], ["打开龙头不出水，增压泵一直响", "停水后再来水就不出水了"]),
        (
            "FILTER-1",
            9,
            ["滤芯更换提醒灯常亮", "提示更换滤芯"],
            [PROBLEMS["WATER"][2], "面板提示滤芯到期，需要滤芯更换"],
        ),
        ("FILTER-2", 6, ["TDS值偏高", "水有异味"], [PROBLEMS["WATER"][3], "纯水TDS检测超过50，喝起来发涩"]),
    ],
    "AC": [
        (
            "COOL-1",
            16,
            ["空调不制冷", "不制冷"],
            [PROBLEMS["AC"][0], "开了制冷模式吹出来的是自然风", "外机不转，空调不制冷"],
        ),
        ("COOL-2", 7, ["空调不制热", "不制热"], ["开制热一直吹冷风", "制热模式下出风不热"]),
        ("COOL-3", 8, ["制冷效果差"], ["制冷效果差，温度降不下来", "怀疑缺氟，制冷效果差"]),
        ("NOISE-1", 6, ["外机噪音大", "空调噪音大"], [PROBLEMS["AC"][1], "外机运行时有咔咔声"]),
        ("LEAK-1", 9, ["空调内机漏水", "空调漏水"], [PROBLEMS["AC"][2], "挂机出风口往下滴水"]),
        ("CODE-1", 5, ["显示E1故障代码"], [PROBLEMS["AC"][3], "运行十分钟后报E1"]),
        ("CODE-2", 3, ["显示F4故障代码"], ["面板显示F4，无法启动"]),
    ],
    "HEALTH": [
        ("POWER-1", 9, ["无法开机", "开不了机"], [PROBLEMS["HEALTH"][0], "插电后没有任何反应"]),
        ("MOTOR-1", 7, ["按摩头不转"], [PROBLEMS["HEALTH"][1], "按摩头转一下就停"]),
        ("MOTOR-2", 6, ["运行有异响", "异响"], ["按摩时背部有异响", "加热时有嗡嗡声"]),
        ("DISPLAY-1", 5, ["屏幕不亮", "显示屏不亮"], [PROBLEMS["HEALTH"][2], "遥控器屏幕不显示"]),
    ],
    "INDUSTRY": [
        ("PRESS-1", 6, ["压力不足"], [PROBLEMS["INDUSTRY"][1], "管网压力一直上不去"]),
        ("TEMP-1", 6, ["温度报警"], [PROBLEMS["INDUSTRY"][0], "出水温度偏高，频繁报警"]),
        ("ELEC-1", 5, ["设备跳闸", "跳闸"], [PROBLEMS["INDUSTRY"][2], "启动时空开跳闸"]),
        ("ELEC-2", 4, ["变频器报错"], ["变频器报OC过流故障", "变频器显示过压报警"]),
    ],
}
# The other request types: per product line ("*" for the others), options of (titles, details) that
# go together; {kind} is the product.
OTHER_TEXTS: dict[str, dict[str, list[tuple[list[str], list[str]]]]] = {
    "maintenance": {
        "WATER": [
            (["滤芯更换", "定期更换滤芯"], ["滤芯到期，预约上门滤芯更换", "预约滤芯更换，PP棉和活性炭一起换"]),
            (["年度保养", "滤芯更换"], ["滤芯使用满一年，申请上门保养", "预约年度保养和滤芯更换"]),
        ],
        "AC": [(["空调清洗保养", "换季保养"], ["预约空调深度清洗", "夏季来临前检查冷媒并清洗滤网"])],
        "HEALTH": [(["定期保养"], ["{kind}定期保养检查", "更换滤网并做保养"])],
        "INDUSTRY": [(["设备巡检保养"], ["季度巡检保养，检查压力和电气", "更换过滤器并清洗冷凝器"])],
    },
    "installation": {
        "*": [(["新机安装", "预约安装"], ["新买的{kind}预约上门安装", "{kind}已送到，请安排师傅安装"])],
        "AC": [
            (["空调安装", "新机安装"], ["新买的{kind}预约上门安装，需要打孔", "{kind}已送到，请安排师傅安装"]),
            (["移机安装"], ["搬家移机，需要拆装空调", "空调要移到另一个房间"]),
        ],
    },
    "consultation": {
        "*": [
            (["咨询保修期"], ["想了解{kind}的保修期还剩多久", "咨询保修期是否从安装之日算起"]),
            (["咨询使用方法"], ["咨询{kind}的清洁和使用方法", "不会设置定时功能"]),
            (["咨询上门收费"], ["咨询保修期外上门维修怎么收费"]),
        ],
        "WATER": [
            (["咨询滤芯价格"], ["咨询滤芯价格和更换周期", "想了解滤芯更换多少钱"]),
            (["咨询保修期"], ["想了解{kind}的保修期还剩多久"]),
        ],
    },
    "complaint": {
        "*": [
            (["投诉上门不准时", "上门迟到投诉"], ["约好上午上门，师傅下午才到", "等了一天师傅没来"]),
            (["投诉服务态度"], ["师傅服务态度差，不耐烦"]),
            (["投诉乱收费"], ["维修收费和报价不一致", "保修期内还收了上门费"]),
        ],
        "WATER": [
            (["投诉维修后仍漏水"], ["上次维修后还是漏水，要求换机"]),
            (["投诉上门不准时"], ["约好上午上门，师傅下午才到"]),
        ],
        "AC": [
            (["投诉维修后仍不制冷"], ["修过两次还是不制冷，要求退换"]),
            (["投诉上门不准时"], ["约好上午上门，师傅下午才到"]),
        ],
    },
    "return": {"*": [(["申请退货"], ["购买七天内，不想要了申请退货", "收到货外观有划痕，要求退货"])]},
    "exchange": {
        "*": [
            (["新机故障换新", "申请换货"], ["新机使用三天就坏了，要求换新"]),
            (["申请换货"], ["型号买错，申请换货", "颜色不合适，申请换货"]),
        ]
    },
    "delivery": {"*": [(["预约送货"], ["预约{kind}送货上门", "{kind}请送货上门并搬到楼上"])]},
    "suggestion": {"*": [(["服务建议"], ["建议增加微信预约上门功能", "希望能提供晚上上门服务"])]},
}
# Words that already name the product in a title (no need to put the product's name before them).
PRODUCT_WORDS = ["净水器", "空调", "机器", "设备", "变频器", "屏幕", "按摩"]
OPENERS = {
    "phone": ["客户来电反映", "客户来电称", "用户来电：", ""],
    "wechat": ["微信留言：", "客户通过公众号报修：", ""],
    "portal": ["网上报修：", ""],
    "scan": ["扫码报修：", ""],
}
EXTRAS = [
    "",
    "",
    "",
    "已指导客户断电重启，无效",
    "客户已自行检查电源和水源，正常",
    "使用不到一年",
    "之前维修过一次，又出现同样问题",
    "客户比较着急",
    "家里有老人小孩，希望尽快处理",
]
TAILS = [
    "",
    "",
    "",
    "请周末上门。",
    "请提前电话联系。",
    "白天家中无人，请下午六点后上门。",
    "小区需登记，请带工牌。",
    "上门前请发短信。",
]
RESOLUTIONS = {
    "WATER": [
        "更换密封圈后不再漏水",
        "紧固接头，测试无渗漏",
        "清洗管路并更换滤芯，出水恢复正常",
        "更换增压泵，出水正常",
    ],
    "AC": ["补充冷媒后制冷恢复", "清洗排水管，不再漏水", "更换主板，试机正常", "更换外机风扇电机，噪音消除"],
    "HEALTH": ["更换电源板，开机正常", "更换按摩电机，运行正常", "更换显示屏排线，显示正常"],
    "INDUSTRY": ["更换压力传感器，压力恢复", "清洗冷凝器，温度恢复正常", "更换变频器模块，运行正常"],
    "maintenance": ["已更换全套滤芯，TDS检测正常", "完成清洗保养，试机正常", "巡检完成，各项指标正常"],
    "installation": ["安装完成，已试机并讲解使用方法"],
    "consultation": ["已电话答复客户", "已发送说明给客户"],
    "complaint": ["已致电客户致歉，重新安排上门并处理完毕", "核实情况后给予客户补偿，客户表示满意"],
    "return": ["已办理退货，款项原路退回"],
    "exchange": ["已为客户换新机"],
    "delivery": ["已送货上门并签收"],
    "suggestion": ["已记录并反馈相关部门"],
}
REPAIR_FALLBACK = ["已上门检修，更换故障部件，试机正常", "远程指导客户复位后恢复正常"]
CANCEL_REASONS = ["客户自行解决", "重复报修", "客户取消预约", "客户联系不上", "已在其他渠道处理"]
GOOD_COMMENTS = ["", "", "", "师傅很专业", "服务很好，很满意", "上门很及时"]
BAD_COMMENTS = ["上门太慢", "问题没有彻底解决", "师傅迟到了", ""]
# Shares of the mix (weights).
TYPE_SHARE = {
    "repair": 55,
    "maintenance": 12,
    "installation": 10,
    "consultation": 9,
    "complaint": 4,
    "return": 3,
    "exchange": 3,
    "delivery": 2,
    "suggestion": 2,
}
URGENCY_SHARE = {"normal": 75, "urgent": 20, "critical": 5}
CHANNEL_SHARE = {"phone": 45, "wechat": 18, "portal": 12, "scan": 8, "walk_in": 6, "api": 5, "email": 3, "sms": 3}
# Requests by hour of the day (local time): office hours, an evening tail, a quiet night.
HOUR_SHARE = [2, 1, 1, 1, 1, 3, 8, 20, 40, 60, 65, 60, 50, 50, 55, 55, 50, 45, 40, 35, 30, 20, 10, 5]
# The resolution limit in hours per type (normal urgency; urgent two thirds; critical 24 h) and the
# first response limit: the shape of the SLA presets, in clock time.
RESOLUTION_HOURS = {
    "repair": 72,
    "maintenance": 120,
    "installation": 72,
    "consultation": 48,
    "complaint": 120,
    "return": 120,
    "exchange": 120,
    "delivery": 72,
    "suggestion": 120,
}
# How likely a request younger than that many days is still open, and what it then waits for: about
# 3 % of all requests are open, four in five of them from the last three weeks, the older ones mostly
# waiting for parts or the customer (their limits paused).
OPEN_BY_AGE: list[tuple[float, float, dict[str, int]]] = [
    (1, 0.97, {"received": 30, "registered": 25, "dispatched": 30, "in_progress": 15}),
    (3, 0.92, {"registered": 10, "dispatched": 30, "in_progress": 35, "waiting_customer": 10, "waiting_parts": 15}),
    (7, 0.82, {"dispatched": 15, "in_progress": 40, "waiting_customer": 15, "waiting_parts": 30}),
    (14, 0.65, {"dispatched": 5, "in_progress": 30, "waiting_customer": 20, "waiting_parts": 45}),
    (21, 0.50, {"in_progress": 25, "waiting_customer": 20, "waiting_parts": 55}),
    (35, 0.15, {"in_progress": 10, "waiting_customer": 25, "waiting_parts": 65}),
    (60, 0.04, {"in_progress": 10, "waiting_customer": 25, "waiting_parts": 65}),
]
STATUS_DATA = {
    step: json.dumps({"action": step, "before": before, "after": after})
    for step, before, after in [
        ("register", "received", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("start", "dispatched", "in_progress"),
        ("wait_customer", "in_progress", "waiting_customer"),
        ("wait_parts", "in_progress", "waiting_parts"),
        ("resolve", "in_progress", "resolved"),
        ("close", "resolved", "closed"),
    ]
}
ESCALATION_DATA = json.dumps({"metric": "resolution", "level": 1})
ESCALATED = "已超过时限，自动上报"
REGISTER, DISPATCH, START, RESOLVE, CLOSE = (
    STATUS_DATA[s] for s in ("register", "dispatch", "start", "resolve", "close")
)
WAIT_DATA = {"waiting_customer": STATUS_DATA["wait_customer"], "waiting_parts": STATUS_DATA["wait_parts"]}
CANCEL_AFTER_RECEIVE = json.dumps({"action": "cancel", "before": "received", "after": "cancelled"})
CANCEL_AFTER_REGISTER = json.dumps({"action": "cancel", "before": "registered", "after": "cancelled"})
RECEIVED_DATA = {c: json.dumps({"event": "received", "channel": c}) for c in CHANNEL_SHARE}
OPEN_STATES = ["received", "registered", "dispatched", "in_progress", "waiting_customer", "waiting_parts"]
GOOD_RATINGS = [5, 5, 5, 5, 4, 4, 3, None]
BAD_RATINGS = [5, 4, 3, 3, 2, 1, None]
PROMISE_HOURS = [4, 24, 48]
NO_WARRANTY = {"consultation", "suggestion", "delivery"}
BY_AGENT = {"phone", "walk_in", "email", "sms"}  # channels where an agent types the request in


def _weighted(shares: dict[str, int]) -> tuple[list[str], list[float]]:
    keys, cum, total = [], [], 0.0
    for key, weight in shares.items():
        total += weight
        keys.append(key)
        cum.append(total)
    return keys, cum


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` exactly (largest remainders)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _arrivals(ctx: DemoContext, count: int, now: dt.datetime) -> Iterator[tuple[dt.datetime, dt.date]]:
    """`count` receive times (naive UTC, ascending) over the BENCH_DAYS local days up to `now`, with
    the business growing, a summer peak (air conditioners), quieter weekends and office hours."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    now_local = now.replace(tzinfo=dt.UTC).astimezone(tz)
    last_day = now_local.date()
    days = [last_day - dt.timedelta(days=BENCH_DAYS - 1 - i) for i in range(BENCH_DAYS)]
    full_hours = list(itertools.accumulate(HOUR_SHARE))
    today_hours = list(itertools.accumulate(HOUR_SHARE[: now_local.hour]))
    weights = []
    for i, day in enumerate(days):
        growth = 0.5 + 1.0 * i / (BENCH_DAYS - 1)  # three times the volume after two years
        season = 1 + 0.2 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 205) / 365)
        weekday = 0.8 if day.weekday() >= 5 else 1.0
        share = 1.0 if day != last_day else (today_hours[-1] if today_hours else 0) / full_hours[-1]
        weights.append(growth * season * weekday * share)
    rng = ctx.rng
    for day, n in zip(days, _apportion(count, weights), strict=True):
        if not n:
            continue
        cum = full_hours if day != last_day else today_hours
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)
        offsets = sorted(h * 3600 + rng.random() * 3600 for h in rng.choices(range(len(cum)), cum_weights=cum, k=n))
        for offset in offsets:
            yield midnight + dt.timedelta(seconds=offset), day


class _Tokens:
    """`search.index_text` for the bench rows, with the tokens of repeated parts remembered.

    A description is its free-text head (opener, detail, remark) and its tail from "。型号" on; the
    head ends and the tail starts at a punctuation mark, which no token spans, so their tokens can be
    looked up separately and joined: the result is exactly `index_text` of the whole text.
    """

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        joined = self._seen.get(text)
        if joined is None:
            joined = self._seen[text] = " ".join(search.tokens(text))
        return joined


def _text_options(
    models: list[Any], categories: dict[str, list[FaultCategory]]
) -> list[dict[str, tuple[list[tuple[int | None, list[str], list[str]]], list[float]]]]:
    """Per product model and request type: the (fault category, titles, details) to draw from, with
    cumulative weights; titles name the product where they do not already."""
    fault_pk = {(c.product_line_id, c.code): c.pk for leaves in categories.values() for c in leaves}
    result = []
    for model in models:
        line = model.product_line.code
        product = model.name.removeprefix(model.brand).removesuffix("Pro")
        per_type = {}
        for request_type in TYPE_SHARE:
            options: list[tuple[int | None, list[str], list[str]]] = []
            weights: list[float] = []
            if request_type == "repair":
                for code, weight, titles, details in REPAIRS.get(line, REPAIRS["WATER"]):
                    options.append((fault_pk.get((model.product_line_id, code)), titles, details))
                    weights.append(weight)
            else:
                by_line = OTHER_TEXTS[request_type]
                for titles, details in by_line[line] if line in by_line else by_line["*"]:
                    options.append((None, titles, [d.replace("{kind}", product) for d in details]))
                    weights.append(1)
            named = []
            for fault, titles, details in options:
                variants = []
                for title in titles:
                    variants.append(title)
                    if not any(word in title for word in PRODUCT_WORDS) and product[-2:] not in title:
                        variants.append(product + title)
                named.append((fault, variants, details))
            per_type[request_type] = (named, list(itertools.accumulate(weights)))
        result.append(per_type)
    return result


def _load_bulk(ctx: DemoContext, categories: dict[str, list[FaultCategory]]) -> None:
    """The bench scale: 2,500 requests per factor (1,000,000 at `--scale bench`), with 2-5 timeline
    entries, their time limits and search document each, streamed CHUNK requests at a time."""
    rng = ctx.rng
    writer = BulkWriter(ctx, chunk=CHUNK)
    when = writer.when
    now = ctx.now.astimezone(dt.UTC).replace(tzinfo=None)
    count = ctx.n(2500)
    customers = ctx.shared["customer_rows"]
    units = ctx.shared["unit_rows"]
    models = ctx.shared["product_models"]
    org_units = ctx.shared["org_units"]

    # Who does what: the outlet of the customer's city owns the request and its technicians take it;
    # agents register, dispatch and close.
    outlet_by_code = {o.code[1:]: o.pk for o in org_units["outlets"]}
    outlet_of = {u.pk: outlet_by_code[u.code[1:]] for u in [*org_units["outlets"], *org_units["stores"]]}
    technicians: dict[int, list[tuple[int, str]]] = {}
    agents: list[tuple[int, str]] = []
    for user, role in ctx.shared["staff"]:
        if role == "technician":
            technicians.setdefault(user.org_unit_id, []).append((user.pk, user.display_name))
        elif role == "agent":
            agents.append((user.pk, user.display_name))
    # Some outlets miss their time limits more often than others (what the dashboards compare).
    late_share = {o.pk: min(0.3, max(0.03, rng.gauss(0.12, 0.05))) for o in org_units["outlets"]}

    texts = _text_options(models, categories)
    line_of_model = [m.product_line.code for m in models]
    code_of_model = [m.code for m in models]
    code_tokens = [m.code.lower() for m in models]
    pk_of_model = [m.pk for m in models]
    warranty_days = [int(m.warranty_policy.months * 30.44) if m.warranty_policy_id else 0 for m in models]

    # Units by sale date, so that a request only names a unit sold before it.
    unit_sale = units["sale"]
    by_sale = sorted(range(len(unit_sale)), key=unit_sale.__getitem__)
    sale_sorted = [unit_sale[j] for j in by_sale]
    unit_first, unit_customer, unit_model, serials = (
        units["first_id"],
        units["customer"],
        units["model"],
        units["serial"],
    )
    customer_first, names, phones = customers["first_id"], customers["names"], customers["phones"]
    customer_unit = customers["units"]
    month_text: dict[int, str] = {}
    tokens = _Tokens()

    types, type_cum = _weighted(TYPE_SHARE)
    urgencies, urgency_cum = _weighted(URGENCY_SHARE)
    channels, channel_cum = _weighted(CHANNEL_SHARE)
    open_states = [(limit, p, *_weighted(states)) for limit, p, states in OPEN_BY_AGE]
    random_ = rng.random

    def randint(low: int, high: int) -> int:  # rng.randint, at a third of the cost
        return low + int(random_() * (high - low + 1))

    bisect_ = bisect.bisect

    def pick(items: list[Any]) -> Any:  # rng.choice, at a third of the cost
        return items[int(random_() * len(items))]

    minute = dt.timedelta(minutes=1)
    hour = dt.timedelta(hours=1)
    day_ = dt.timedelta(days=1)

    def later(start: dt.datetime, minutes: float) -> dt.datetime:
        # An event `minutes` after `start`, but never after now (young requests move quickly).
        return min(start + minutes * minute, start + (now - start) / 2)

    oldest = f"sr-{(now - dt.timedelta(days=BENCH_DAYS + 1)).date()}"
    sequences = dict(Sequence.objects.filter(name__startswith="sr-", name__gte=oldest).values_list("name", "value"))
    per_day: Counter[dt.date] = Counter()
    current_day, prefix, numbered = None, "", 0
    first_id = next_id = writer.next_id(ServiceRequest)
    totals: Counter[str] = Counter()
    writing = dict.fromkeys(["requests", "timeline", "timers", "documents"], 0.0)  # seconds in the database
    arrivals = _arrivals(ctx, count, now)
    started = time.monotonic()
    deferred = writer.indexes_deferred(ServiceRequest, TimelineEntry, RequestTimer, SearchDocument)
    with deferred, _search_index_deferred(ctx, first_id):
        while batch := list(itertools.islice(arrivals, CHUNK)):
            requests, entries, timers, documents = [], [], [], []
            for received, day in batch:
                pk = next_id
                next_id += 1
                if day != current_day:
                    # A new day: its numbers continue that day's sequence (0 unless requests exist).
                    current_day, prefix = day, rules.request_number(day, 0)[:-6]
                    numbered = sequences.get(f"sr-{day.isoformat()}", 0)
                per_day[day] += 1
                number = f"{prefix}{numbered + per_day[day]:06d}"
                kind = types[bisect_(type_cum, random_() * type_cum[-1])]
                urgency = urgencies[bisect_(urgency_cum, random_() * urgency_cum[-1])]
                channel = channels[bisect_(channel_cum, random_() * channel_cum[-1])]
                # The unit: sold before the request; installations and deliveries follow a recent sale,
                # returns and exchanges come within a month of it.
                ordinal = day.toordinal()
                hi = bisect.bisect_left(sale_sorted, ordinal)
                window = 14 if kind in {"installation", "delivery"} else 30 if kind in {"return", "exchange"} else 0
                lo = bisect.bisect_left(sale_sorted, ordinal - window) if window else 0
                if lo >= hi:
                    lo = 0
                unit_index = by_sale[lo + int(random_() * (hi - lo))] if hi else int(random_() * len(unit_sale))
                model_index = unit_model[unit_index]
                position = unit_customer[unit_index]
                owner = outlet_of[customer_unit[position]]

                options, cum = texts[model_index][kind]
                fault, titles, details = options[bisect_(cum, random_() * cum[-1])] if len(options) > 1 else options[0]
                sale = unit_sale[unit_index]
                bought = month_text.get(sale)
                if bought is None:
                    bought = month_text[sale] = f"{dt.date.fromordinal(sale):%Y年%m月}"
                extra = pick(EXTRAS) if kind == "repair" else ""
                title = pick(titles)
                head = f"{pick(OPENERS.get(channel, OPENERS['portal']))}{pick(details)}{'，' + extra if extra else ''}"
                tail = f"。型号{code_of_model[model_index]}，购买于{bought}。{pick(TAILS)}"

                # Its life so far: open when young (OPEN_BY_AGE), else resolved, closed or cancelled.
                age = (now - received) / day_
                state = ""
                for limit, p_open, states, states_cum in open_states:
                    if age < limit:
                        if random_() < p_open:
                            state = states[bisect_(states_cum, random_() * states_cum[-1])]
                        break
                if not state:
                    roll = random_()
                    state = (
                        "cancelled" if roll < 0.07 else "resolved" if roll < (0.45 if age < 14 else 0.09) else "closed"
                    )
                limit_hours = (
                    24 if urgency == "critical" else RESOLUTION_HOURS[kind] * (2 / 3 if urgency == "urgent" else 1)
                )
                allowed = limit_hours * hour
                due = received + allowed
                warn = received + allowed * 0.8

                received_s = when(received)
                agent_id, agent_name = pick(agents)
                team = technicians.get(owner)
                assignee_id, assignee_name = (
                    pick(team) if team and state not in {"received", "registered"} else (None, "")
                )
                # (time, its column value, kind, public, author id, author name, body, data)
                events: list[tuple[dt.datetime, Any, str, bool, int | None, str, str, str]] = [
                    (received, received_s, "system", True, None, "系统", "", RECEIVED_DATA[channel])
                ]
                registered = None
                if state != "received" and not (state == "cancelled" and random_() < 0.3):
                    registered = later(received, randint(1, 15) if channel in {"phone", "walk_in"} else randint(5, 180))
                    events.append((registered, when(registered), "status", False, agent_id, agent_name, "", REGISTER))
                resolved_at = closed_at = breached = None
                resolved_s = closed_s = None
                resolution = cancel_reason = rating_comment = ""
                rating = in_time = None
                sla_due = sla_warn = None
                if state in {"resolved", "closed"}:
                    assert registered is not None
                    if random_() < late_share.get(owner, 0.12):
                        resolved_at = due + (1 + random_() * max(limit_hours, 24) * 1.5) * hour
                    else:
                        resolved_at = received + allowed * (0.1 + random_() * 0.85)
                    resolved_at = min(max(resolved_at, registered + 20 * minute), now - minute)
                    resolved_s = when(resolved_at)
                    in_time = resolved_at <= due
                    if not in_time:
                        breached = min(due + randint(1, 5) * minute, resolved_at)
                    warned = min(warn + randint(1, 5) * minute, resolved_at) if resolved_at > warn else None
                    resolution = pick(
                        RESOLUTIONS.get(line_of_model[model_index] if kind == "repair" else kind, REPAIR_FALLBACK)
                    )
                    events.append(
                        (resolved_at, resolved_s, "status", True, assignee_id, assignee_name, resolution, RESOLVE)
                    )
                    if state == "closed":
                        closed_at = resolved_at + (2 + random_() * 70) * hour
                        if closed_at >= now:
                            state, closed_at = "resolved", None
                    if closed_at is not None:
                        closed_s = when(closed_at)
                        events.append((closed_at, closed_s, "status", True, agent_id, agent_name, "", CLOSE))
                        rating = pick(GOOD_RATINGS if in_time else BAD_RATINGS)
                        if rating is not None:
                            rating_comment = pick(GOOD_COMMENTS if rating >= 4 else BAD_COMMENTS)
                    timers.append(
                        (pk, "resolution", received_s, when(due), when(warn), None, resolved_s, when(warned),
                         when(breached), 1 if breached else 0)
                    )  # fmt: skip
                elif state == "cancelled":
                    cancel_reason = pick(CANCEL_REASONS)
                    cancelled = later(registered or received, randint(10, 48 * 60))
                    data = CANCEL_AFTER_REGISTER if registered else CANCEL_AFTER_RECEIVE
                    events.append(
                        (cancelled, when(cancelled), "status", True, agent_id, agent_name, cancel_reason, data)
                    )
                else:
                    paused_at = None
                    if registered is not None and state != "registered":
                        step_at = later(registered, randint(5, 240))
                        events.append((step_at, when(step_at), "status", True, agent_id, agent_name, "", DISPATCH))
                        if state != "dispatched":
                            step_at = later(step_at, randint(30, 24 * 60))
                            events.append(
                                (step_at, when(step_at), "status", True, assignee_id, assignee_name, "", START)
                            )
                        if state in WAIT_DATA:
                            paused_at = later(step_at, randint(10, 24 * 60))
                            events.append(
                                (
                                    paused_at,
                                    when(paused_at),
                                    "status",
                                    True,
                                    assignee_id,
                                    assignee_name,
                                    "",
                                    WAIT_DATA[state],
                                )
                            )
                    # Open: a first response limit (met at registration) and a running or paused resolution limit.
                    first_allowed = hour if urgency == "critical" else 24 * hour
                    first_due = received + first_allowed
                    first_warn = received + first_allowed * 0.8
                    if registered is None:
                        first_breached = first_due + randint(1, 5) * minute if first_due < now else None
                        first_warned = first_warn + randint(1, 5) * minute if first_warn < now else None
                        timers.append(
                            (pk, "first_response", received_s, when(first_due), when(first_warn), None, None,
                             when(first_warned), when(first_breached), 1 if first_breached else 0)
                        )  # fmt: skip
                        sla_due, sla_warn = first_due, first_warn
                    else:
                        registered_s = events[1][1]
                        late = registered > first_due
                        timers.append(
                            (pk, "first_response", received_s, when(first_due), when(first_warn), None, registered_s,
                             registered_s if registered > first_warn else None, registered_s if late else None,
                             1 if late else 0)
                        )  # fmt: skip
                    stop = paused_at or now
                    breached = min(due + randint(1, 5) * minute, stop) if due < stop else None
                    warned = min(warn + randint(1, 5) * minute, stop) if warn < stop else None
                    timers.append(
                        (pk, "resolution", received_s, when(due), when(warn), when(paused_at), None, when(warned),
                         when(breached), 1 if breached else 0)
                    )  # fmt: skip
                    if paused_at is None:
                        sla_due = due if sla_due is None else min(sla_due, due)
                        sla_warn = warn if sla_warn is None else min(sla_warn, warn)
                if breached is not None:
                    # The sweep escalated it when the resolution limit passed.
                    events.append(
                        (breached, when(breached), "escalation", False, None, "系统", ESCALATED, ESCALATION_DATA)
                    )
                    events.sort(key=_first)
                for _at, at_s, entry_kind, public, author_id, author_label, body, data in events:
                    entries.append((pk, entry_kind, public, author_id, author_label, body, data, at_s))

                covered = None if kind in NO_WARRANTY else ordinal - sale < warranty_days[model_index]
                requests.append(
                    (pk, received_s, events[-1][1], len(events), number, kind, state, urgency, channel,
                     customer_first + position, unit_first + unit_index, pk_of_model[model_index], title, head + tail,
                     fault, received_s, when(received + pick(PROMISE_HOURS) * hour), owner, assignee_id,
                     breached is not None, covered, resolution, resolved_s, closed_s, cancel_reason, when(sla_due),
                     when(sla_warn), in_time, rating, rating_comment, agent_id if channel in BY_AGENT else None)
                )  # fmt: skip
                # = search.index_text(number, name, phones, serial, model code, title, description), the
                # text service.search.document_text makes for such a request (the parts are ASCII or cached).
                head_tokens = tokens(head)
                documents.append(
                    (
                        pk,
                        " | ".join(
                            (
                                number.lower(),
                                tokens(names[position]),
                                phones[position],
                                serials[unit_index].lower(),
                                code_tokens[model_index],
                                tokens(title),
                                f"{head_tokens} {tokens(tail)}" if head_tokens else tokens(tail),
                            )
                        ),
                    )
                )
                totals[state] += 1
            for part, model_class, columns, rows in (
                ("requests", ServiceRequest, REQUEST_COLUMNS, requests),
                ("timeline", TimelineEntry, ENTRY_COLUMNS, entries),
                ("timers", RequestTimer, TIMER_COLUMNS, timers),
                ("documents", SearchDocument, ["request_id", "body"], documents),
            ):
                t0 = time.monotonic()
                writer.insert(model_class, columns, rows)
                writing[part] += time.monotonic() - t0
            totals["entries"] += len(entries)
            totals["timers"] += len(timers)
            done = next_id - first_id
            if done % 100_000 < CHUNK or done == count:
                ctx.log(f"    {done:,} requests ({time.monotonic() - started:.0f}s)")
    for day, n in per_day.items():
        next_value(f"sr-{day.isoformat()}", count=n)
    writer.finish()
    open_count = sum(totals[s] for s in OPEN_STATES)
    ctx.log("    of which writing: " + ", ".join(f"{part} {seconds:.0f}s" for part, seconds in writing.items()))
    ctx.log(
        f"  {count} service requests ({open_count} open, {open_count / max(count, 1):.1%}), "
        f"{totals['entries']} timeline entries, {totals['timers']} timers, {len(per_day)} days"
    )


def _first(event: tuple[Any, ...]) -> Any:
    return event[0]


@contextmanager
def _search_index_deferred(ctx: DemoContext, first_id: int) -> Iterator[None]:
    """On SQLite, index the new search documents in FTS5 with one INSERT … SELECT after the load
    instead of one trigger call per row (measured at 1,000,000 rows: 12 s instead of ~80 s). The
    insert trigger is dropped meanwhile and made again from its stored definition. (PostgreSQL fills
    its tsvector column per row anyway; its GIN index is one of the deferred indexes.)"""
    trigger = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'service_fts_ai'")
            trigger = cursor.fetchone()
            if trigger is not None:
                cursor.execute("DROP TRIGGER service_fts_ai")
    yield
    if trigger is None:
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO service_fts(rowid, body) SELECT request_id, body FROM service_searchdocument "
            "WHERE request_id >= %s ORDER BY request_id",
            [first_id],
        )
        cursor.execute(trigger[0])
    index_compact(full=True)  # one merged index: otherwise every later write pays for merging the load's parts
    ctx.log(f"    full-text index (FTS5) of the new search documents: {time.monotonic() - started:.1f}s")


REQUEST_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "number",
    "type",
    "status",
    "urgency",
    "channel",
    "customer_id",
    "unit_id",
    "product_model_id",
    "title",
    "description",
    "fault_category_id",
    "received_at",
    "promised_at",
    "org_unit_id",
    "assignee_id",
    "is_escalated",
    "warranty_covered",
    "resolution",
    "resolved_at",
    "closed_at",
    "cancel_reason",
    "sla_due_at",
    "sla_warn_at",
    "resolved_in_time",
    "rating",
    "rating_comment",
    "created_by_id",
]
ENTRY_COLUMNS = ["request_id", "kind", "is_public", "author_id", "author_label", "body", "data", "created_at"]
TIMER_COLUMNS = [
    "request_id",
    "metric",
    "started_at",
    "due_at",
    "warn_at",
    "paused_at",
    "met_at",
    "warned_at",
    "breached_at",
    "escalation_level",
]
