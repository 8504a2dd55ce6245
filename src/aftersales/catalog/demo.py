"""Demo master data: product lines, categories, warranty policies, ~40 models, fee schedules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aftersales.catalog.models import (
    CallOutBand,
    FeeSchedule,
    LabourItem,
    ProductCategory,
    ProductLine,
    ProductModel,
    ValueAddedKind,
    ValueAddedService,
    WarrantyPolicy,
    WarrantyStart,
)
from aftersales.core.demo import DemoContext, register

LINES = [
    ("WATER", "家用净水", "净水器", ["RO反渗透净水器", "超滤净水器", "前置过滤器", "管线机", "软水机"], "华清"),
    ("AC", "家用空调", "空调", ["挂壁式空调", "立柜式空调", "中央空调室内机", "移动空调"], "凌风"),
    ("HEALTH", "保健产品", "保健器械", ["按摩椅", "足浴器", "空气净化器", "制氧机", "理疗仪"], "康宁"),
    ("INDUSTRY", "工业设备", "工业设备", ["工业冷水机", "空压机", "变频水泵", "商用净水设备"], "华工"),
]
POLICIES = [
    ("P12-SALE", "整机保修一年（自购买之日）", 12, WarrantyStart.SALE),
    ("P36-INST", "整机保修三年（自安装之日）", 36, WarrantyStart.INSTALLATION),
    ("P24-SALE", "整机保修两年（自购买之日）", 24, WarrantyStart.SALE),
    ("P6-SALE", "易损件保修六个月", 6, WarrantyStart.SALE),
]
LABOUR = [
    ("L001", "上门检测", 30, "60"),
    ("L002", "更换滤芯", 20, "40"),
    ("L003", "整机清洗消毒", 60, "120"),
    ("L004", "加注冷媒", 45, "150"),
    ("L005", "更换压缩机", 180, "380"),
    ("L006", "更换主板", 60, "180"),
    ("L007", "移机安装", 120, "260"),
    ("L008", "管路改造", 90, "200"),
    ("L009", "电机维修", 120, "240"),
    ("L010", "软件升级调试", 30, "80"),
]
BANDS = [("0", "10", "0"), ("10", "30", "50"), ("30", "60", "100"), ("60", None, "180")]


@register(order=15, name="catalog")
def load(ctx: DemoContext) -> None:
    lines = ProductLine.objects.bulk_create([ProductLine(code=c, name=n) for c, n, _cat, _m, _b in LINES])
    categories = ProductCategory.objects.bulk_create(
        [ProductCategory(code=f"CAT-{c}", name=cat) for c, _n, cat, _m, _b in LINES]
    )
    policies = WarrantyPolicy.objects.bulk_create(
        [
            WarrantyPolicy(
                code=code,
                name=name,
                months=months,
                starts_from=start,
                scope="整机及主要部件免费维修；易损件、耗材除外。",
            )
            for code, name, months, start in POLICIES
        ]
    )
    models: list[ProductModel] = []
    for line, category, (code, _name, _cat, kinds, brand) in zip(lines, categories, LINES, strict=True):
        for i, kind in enumerate(kinds):
            for variant in (1, 2):
                dealer = Decimal(ctx.rng.randrange(800, 9000, 100))
                models.append(
                    ProductModel(
                        code=f"{code[:2]}-{i + 1}{variant:02d}",
                        name=f"{brand}{kind}{'Pro' if variant == 2 else ''}",
                        product_line=line,
                        category=category,
                        brand=brand,
                        warranty_policy=policies[1] if code in {"AC", "INDUSTRY"} else policies[ctx.rng.choice([0, 2])],
                        dealer_price=dealer,
                        market_price=(dealer * Decimal("1.6")).quantize(Decimal("1")),
                        needs_installation=code in {"AC", "INDUSTRY", "WATER"},
                    )
                )
    ProductModel.objects.bulk_create(models)
    ValueAddedService.objects.bulk_create(
        [
            ValueAddedService(
                product_model=m,
                kind=ValueAddedKind.EXTENDED_WARRANTY,
                name="延保两年",
                months=24,
                price=(m.dealer_price or Decimal("1000")) * Decimal("0.08"),
            )
            for m in models[::2]
        ]
    )
    national = FeeSchedule.objects.create(name="全国统一收费标准（2025版）", effective_from=dt.date(2025, 1, 1))
    shanghai = FeeSchedule.objects.create(
        name="上海地区收费标准", region_id="310000", effective_from=dt.date(2025, 7, 1)
    )
    for schedule, factor in ((national, Decimal("1")), (shanghai, Decimal("1.2"))):
        LabourItem.objects.bulk_create(
            [
                LabourItem(
                    schedule=schedule,
                    code=c,
                    name=n,
                    standard_minutes=m,
                    price=(Decimal(p) * factor).quantize(Decimal("1")),
                )
                for c, n, m, p in LABOUR
            ]
        )
        CallOutBand.objects.bulk_create(
            [
                CallOutBand(
                    schedule=schedule,
                    from_km=Decimal(a),
                    to_km=Decimal(b) if b else None,
                    fee=(Decimal(f) * factor).quantize(Decimal("1")),
                )
                for a, b, f in BANDS
            ]
        )
    ctx.shared["product_models"] = models
    ctx.log(f"  {len(models)} product models, {len(policies)} warranty policies, 2 fee schedules")
