"""Who is acting, through which channel and from where: set once per request or job, read by the audit trail."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    UI = "ui", _("UI")
    API = "api", _("API")
    JOB = "job", _("Job")
    IMPORT = "import", _("Import")
    ADMIN = "admin", _("Admin")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class ActionContext:
    actor: Any = None  # an accounts.User, or None for the system
    channel: str = Channel.SYSTEM
    ip: str | None = None
    request_id: str = ""


_current: ContextVar[ActionContext] = ContextVar("aftersales_action_context", default=ActionContext())  # noqa: B039 (frozen, immutable)


def current() -> ActionContext:
    return _current.get()


@contextlib.contextmanager
def acting(**changes: Any) -> Iterator[ActionContext]:
    """Run a block with a changed context (e.g. `with acting(channel=Channel.JOB):`)."""
    ctx = replace(_current.get(), **changes)
    if not ctx.request_id:
        ctx = replace(ctx, request_id=uuid.uuid4().hex)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_context(ctx: ActionContext) -> object:
    return _current.set(ctx)


def reset_context(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
