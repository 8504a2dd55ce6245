"""Demo data: each app contributes its part through `register`; `manage.py demo` runs them in order.

Contributors live in `<app>/demo.py` (discovered like admin modules). They get one shared
`DemoContext`, deterministic from the seed, and must use bulk inserts so that `--scale large`
(the benchmarks' size) stays fast.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from faker import Faker


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


@dataclass(frozen=True)
class Scale:
    name: str
    factor: int  # multiplies the per-app base counts


SCALES = {
    "small": Scale("small", 1),
    "medium": Scale("medium", 10),
    "large": Scale("large", 200),
}


@dataclass
class DemoContext:
    seed: int
    scale: Scale
    out: Writer
    rng: random.Random = field(init=False)
    faker: Faker = field(init=False)
    # Contributors share what they made (e.g. "units", "staff_by_role") for later contributors.
    shared: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (deterministic demo data, not secrets)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(self.seed)

    def n(self, base: int) -> int:
        return base * self.scale.factor

    def log(self, message: str) -> None:
        self.out.write(message + "\n")


@dataclass(frozen=True)
class Contributor:
    order: int
    name: str
    fn: Callable[[DemoContext], None]


_registry: dict[str, Contributor] = {}


def register(*, order: int, name: str) -> Callable[[Callable[[DemoContext], None]], Callable[[DemoContext], None]]:
    def decorate(fn: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        _registry[name] = Contributor(order=order, name=name, fn=fn)
        return fn

    return decorate


def contributors() -> list[Contributor]:
    return sorted(_registry.values(), key=lambda c: (c.order, c.name))
