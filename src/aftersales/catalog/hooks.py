"""Extension points for apps above the catalog (sales contracts extend warranties)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

# provider(unit, standard_end) → the latest date an extension covers, or None
ExtensionProvider = Callable[[Any, dt.date | None], dt.date | None]
_extension_providers: dict[str, ExtensionProvider] = {}


def register_extension_provider(name: str, provider: ExtensionProvider) -> None:
    _extension_providers[name] = provider


def extension_providers() -> list[ExtensionProvider]:
    return [p for _n, p in sorted(_extension_providers.items())]
