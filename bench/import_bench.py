"""Import benchmark: 100,000-row customer and sold-unit files (.xlsx and GBK .csv) into a fresh SQLite DB.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--keep]

SQLite by default; with DATABASE_URL set (an empty PostgreSQL database) it measures PostgreSQL.

Makes a temporary data directory (a fresh database, migrated), generates the files, then imports
each one in its own child process, so that the peak RSS printed is that of one import (dry run +
import) and not of the file generation. Prints the seconds of the dry run and of the import, and
rows/s overall. The .xlsx files are written by openpyxl (inline strings, no <dimension>: the slow
case for readers); Excel's own files, with shared strings, read faster.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CUSTOMER_HEADER = [
    "客户名称",
    "客户类型",
    "性别",
    "手机",
    "省",
    "市",
    "区县",
    "详细地址",
    "会员等级",
    "生日",
    "标签",
    "来源渠道",
]
UNIT_HEADER = ["序列号", "型号", "客户手机", "销售日期", "安装日期", "发票号", "保修凭证号"]
MODEL_CODES = ["JS-100", "JS-200", "KT-35", "KT-50", "BJ-01"]


def setup_django(data_dir: Path) -> None:
    os.environ["AFTERSALES_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("AFTERSALES_SECRET_KEY", "bench-only-secret-key-0123456789-0123456789-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "aftersales.settings"
    import importlib

    settings_module = importlib.import_module("aftersales.settings")
    if "aftersales.exchange" not in settings_module.INSTALLED_APPS:  # before the project wires the app in
        settings_module.INSTALLED_APPS.append("aftersales.exchange")
    import django

    django.setup()


def rss_mb(field: str = "VmRSS") -> float:
    """The current resident set (VmRSS) or its high-water mark (VmHWM) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- parent: database and files ---------------------------------------------------------------


def prepare_database() -> None:
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from aftersales.accounts.models import OrgUnit, OrgUnitKind, User
    from aftersales.accounts.services import roles_sync
    from aftersales.catalog import services as catalog

    call_command("migrate", verbosity=0)
    roles_sync()
    hq = OrgUnit.objects.create(name="总部", code="HQ", kind=OrgUnitKind.COMPANY, path="", depth=0)
    hq.path = f"/{hq.pk}/"
    hq.save(update_fields=["path"])
    user = User.objects.create(username="bench", full_name="基准测试", org_unit=hq)
    user.groups.add(Group.objects.get(name="manager"))
    line = catalog.product_line_create(actor=user, code="WATER", name="家用净水")
    policy = catalog.warranty_policy_create(
        actor=user, data=catalog.PolicyData(code="P12", name="整机12个月", months=12)
    )
    for code in MODEL_CODES:
        catalog.product_model_create(
            actor=user,
            data=catalog.ModelData(
                code=code, name=f"型号{code}", product_line_id=line.pk, warranty_policy_id=policy.pk
            ),
        )


def district_triples(count: int = 300) -> list[tuple[str, str, str]]:
    from aftersales.core.models import Region

    rows = Region.objects.filter(level=3, parent__level=2).values_list("name", "parent__name", "parent__parent__name")
    return [(province, city, district) for district, city, province in rows[:count]]


def write_files(directory: Path, rows: int) -> dict[str, Path]:
    from openpyxl import Workbook

    rng = random.Random(20260105)
    places = district_triples()
    tiers = ["", "E", "D", "C", "B", "A"]
    sources = ["门店", "热线", "微信", "官网", ""]
    files: dict[str, Path] = {}

    def customers(prefix: str) -> list[list[object]]:
        out = []
        for i in range(rows):
            province, city, district = places[i % len(places)]
            out.append(
                [
                    f"客户{prefix}{i:06d}",
                    "个人" if i % 10 else "企业",
                    "男" if i % 2 else "女",
                    f"{prefix}{i:08d}",
                    province,
                    city,
                    district,
                    f"幸福路{i % 999 + 1}号{i % 30 + 1}栋",
                    rng.choice(tiers),
                    dt.date(1960 + i % 40, i % 12 + 1, i % 28 + 1),
                    "老客户,净水" if i % 3 == 0 else "",
                    rng.choice(sources),
                ]
            )
        return out

    def units(prefix: str, phone_prefix: str) -> list[list[object]]:
        out = []
        for i in range(rows):
            sale = dt.date(2024, 1, 1) + dt.timedelta(days=i % 700)
            out.append(
                [
                    f"{prefix}{i:09d}",
                    MODEL_CODES[i % len(MODEL_CODES)],
                    f"{phone_prefix}{i:08d}" if i % 2 == 0 else "",
                    sale,
                    sale + dt.timedelta(days=3),
                    f"INV{i:08d}",
                    f"V{i:08d}",
                ]
            )
        return out

    def xlsx(path: Path, header: list[str], data: list[list[object]]) -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("导入数据")
        sheet.append(header)
        for row in data:
            sheet.append(row)
        workbook.save(path)

    def gbk_csv(path: Path, header: list[str], data: list[list[object]]) -> None:
        import csv

        with path.open("w", encoding="gbk", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in data:
                writer.writerow([v.strftime("%Y/%-m/%-d") if isinstance(v, dt.date) else v for v in row])

    # Disjoint keys per file: each import lands in the same database.
    files["customers.xlsx"] = directory / "customers.xlsx"
    xlsx(files["customers.xlsx"], CUSTOMER_HEADER, customers("138"))
    files["customers.csv"] = directory / "customers.csv"
    gbk_csv(files["customers.csv"], CUSTOMER_HEADER, customers("139"))
    files["units.xlsx"] = directory / "units.xlsx"
    xlsx(files["units.xlsx"], UNIT_HEADER, units("SNX", "138"))
    files["units.csv"] = directory / "units.csv"
    gbk_csv(files["units.csv"], UNIT_HEADER, units("SNC", "139"))
    return files


# --- child: one import ------------------------------------------------------------------------


def run_import(kind: str, path: Path) -> dict[str, object]:
    from django.core.files import File

    from aftersales.accounts.models import OrgUnit, User
    from aftersales.exchange import services
    from aftersales.exchange.models import ImportJob, ImportMode

    user = User.objects.get(username="bench")
    hq = OrgUnit.objects.get(code="HQ")
    base = rss_mb()
    with path.open("rb") as fh:
        job = services.import_job_create(
            actor=user, kind=kind, upload=File(fh, name=path.name), mode=ImportMode.ALL_OR_NOTHING, org_unit_id=hq.pk
        )
    started = time.perf_counter()
    services.import_job_validate_run(job_id=job.pk)
    validated = time.perf_counter()
    job.refresh_from_db()
    assert job.status == "validated", (job.status, job.message, job.errors[:5])
    assert job.rows_invalid == 0, job.errors[:5]
    services.import_job_confirm(actor=user, job=job)
    commit_started = time.perf_counter()
    services.import_job_commit_run(job_id=job.pk)
    finished = time.perf_counter()
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done", (job.status, job.message, job.errors[:5])
    return {
        "rows": job.rows_imported,
        "validate_s": validated - started,
        "import_s": finished - commit_started,
        "base_rss_mb": base,
        "peak_rss_mb": rss_mb("VmHWM"),
        "size_mb": path.stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--prepare-only", action="store_true", help="make the database and files, import nothing")
    parser.add_argument("--child", nargs=3, metavar=("DATA_DIR", "KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data_dir, kind, file = args.child
        setup_django(Path(data_dir))
        print(json.dumps(run_import(kind, Path(file))))
        return

    work = Path(tempfile.mkdtemp(prefix="aftersales-import-bench-"))
    data_dir = work / "data"
    data_dir.mkdir()
    try:
        setup_django(data_dir)
        t0 = time.perf_counter()
        prepare_database()
        from django.db import connection

        print(f"fresh {connection.vendor} database migrated in {time.perf_counter() - t0:.1f} s ({data_dir})")
        t0 = time.perf_counter()
        files = write_files(work, args.rows)
        print(f"{len(files)} files of {args.rows:,} rows generated in {time.perf_counter() - t0:.1f} s\n")
        if args.prepare_only:
            args.keep = True
            return
        results = []
        for name in ("customers.xlsx", "customers.csv", "units.xlsx", "units.csv"):
            kind = name.split(".")[0]
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(data_dir), kind, str(files[name])],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append((name, result))
        print(
            f"{'file':<16}{'size MB':>8}{'rows':>9}{'dry run s':>11}{'import s':>10}{'total s':>9}"
            f"{'rows/s':>9}{'base RSS':>10}{'peak RSS':>10}"
        )
        for name, r in results:
            total = float(r["validate_s"]) + float(r["import_s"])  # type: ignore[arg-type]
            print(
                f"{name:<16}{r['size_mb']:>8.1f}{r['rows']:>9,}{r['validate_s']:>11.1f}{r['import_s']:>10.1f}"
                f"{total:>9.1f}{int(r['rows']) / total:>9,.0f}{r['base_rss_mb']:>8.0f}MB{r['peak_rss_mb']:>8.0f}MB"  # type: ignore[call-overload]
            )
        print(
            "\ndry run: read and check every row, row report, preview, valid rows spooled to disk;"
            "\nimport: the spooled rows checked again against the database and written in one transaction."
            "\nRSS: the child process right after Django set-up (base) and its high-water mark (peak)."
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
