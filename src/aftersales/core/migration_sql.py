"""Raw SQL in migrations that differs by database: `RunPython(vendor_sql({...}), vendor_sql({...}))`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def vendor_sql(statements_by_vendor: Mapping[str, Sequence[str]]) -> Callable[[Any, Any], None]:
    """A RunPython function executing the statements listed for the connection's vendor (none for others)."""

    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run
