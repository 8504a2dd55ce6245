"""Extension points for apps above this one (catalog, sales, service …) without circular imports.

A merge moves everything that points at the duplicate customer to the surviving one; each app that
holds such rows registers a handler here (in its AppConfig.ready) that repoints them and returns
{what: how many} for the audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MergeHandler = Callable[[Any, Any], dict[str, int]]
_merge_handlers: dict[str, MergeHandler] = {}


def register_merge_handler(name: str, handler: MergeHandler) -> None:
    _merge_handlers[name] = handler


def merge_handlers() -> list[tuple[str, MergeHandler]]:
    return sorted(_merge_handlers.items())
