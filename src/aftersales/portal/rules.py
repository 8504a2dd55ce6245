"""Pure rules of the portal: how a request's state reads to a customer, and the label-sheet inputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class CustomerStatus:
    label: Promise
    badge: str  # Tabler colour class


# What each state means to the customer (the staff's words, such as "registered", mean little to them).
CUSTOMER_STATUS: Mapping[str, CustomerStatus] = {
    "received": CustomerStatus(pgettext_lazy("portal status", "Awaiting acceptance"), "bg-orange-lt"),
    "registered": CustomerStatus(pgettext_lazy("portal status", "Accepted"), "bg-blue-lt"),
    "dispatched": CustomerStatus(pgettext_lazy("portal status", "Engineer assigned"), "bg-blue-lt"),
    "in_progress": CustomerStatus(pgettext_lazy("portal status", "Being handled"), "bg-blue-lt"),
    "waiting_customer": CustomerStatus(pgettext_lazy("portal status", "Waiting for your reply"), "bg-orange-lt"),
    "waiting_parts": CustomerStatus(pgettext_lazy("portal status", "Waiting for parts"), "bg-yellow-lt"),
    "resolved": CustomerStatus(pgettext_lazy("portal status", "Resolved, please confirm"), "bg-green-lt"),
    "closed": CustomerStatus(pgettext_lazy("portal status", "Completed"), "bg-green-lt"),
    "cancelled": CustomerStatus(pgettext_lazy("portal status", "Cancelled"), "bg-secondary-lt"),
}

# The parcel-like progress: 受理 → 派工 → 工程师已出发 → 完成 (index of the last step reached).
PROGRESS_STEPS = (
    pgettext_lazy("portal progress", "Accepted"),
    pgettext_lazy("portal progress", "Dispatched"),
    pgettext_lazy("portal progress", "Engineer on the way"),
    pgettext_lazy("portal progress", "Done"),
)
_STEP_OF = {
    "received": 0,
    "registered": 0,
    "dispatched": 1,
    "in_progress": 2,
    "waiting_customer": 2,
    "waiting_parts": 2,
    "resolved": 3,
    "closed": 3,
    "cancelled": 0,
}

# What a public status entry of the timeline says to the customer, by the action that made it.
ACTION_TEXT: Mapping[str, Promise] = {
    "dispatch": pgettext_lazy("portal timeline", "An engineer has been assigned to your request."),
    "start": pgettext_lazy("portal timeline", "Work on your request has started."),
    "wait_customer": pgettext_lazy("portal timeline", "We need more information from you."),
    "wait_parts": pgettext_lazy("portal timeline", "Waiting for spare parts."),
    "resume": pgettext_lazy("portal timeline", "Work has resumed."),
    "resolve": pgettext_lazy("portal timeline", "Your request has been resolved."),
    "close": pgettext_lazy("portal timeline", "Resolution confirmed; the request is closed."),
    "reopen": pgettext_lazy("portal timeline", "The request was reopened."),
    "cancel": pgettext_lazy("portal timeline", "The request was cancelled."),
}

# The request types a customer may choose in the portal (delivery, return, exchange go through a store).
PORTAL_TYPES = ("repair", "maintenance", "installation", "consultation", "complaint", "suggestion")

MAX_PHOTOS = 9  # as many as one WeChat message takes
MAX_LABELS = 240  # ten A4 sheets of 24


def customer_status(status: str) -> CustomerStatus:
    return CUSTOMER_STATUS.get(status, CustomerStatus(pgettext_lazy("portal status", "Being handled"), "bg-blue-lt"))


def progress_step(status: str) -> int:
    """Index in PROGRESS_STEPS of the last step the request has reached."""
    return _STEP_OF.get(status, 0)


def progress(status: str) -> list[tuple[Promise, bool, bool]]:
    """(label, reached, current) per step."""
    step = progress_step(status)
    return [(label, i <= step, i == step) for i, label in enumerate(PROGRESS_STEPS)]


def parse_ids(text: str) -> list[int]:
    """ "3, 1,2 3 x" → [3, 1, 2]: digits separated by anything, in order, each once."""
    return list(dict.fromkeys(int(part) for part in re.findall(r"\d+", text or "")))


def parse_serials(text: str) -> list[str]:
    """Serial numbers separated by commas (also Chinese ones), semicolons, spaces or lines, each once."""
    parts = (p.strip() for p in re.split(r"[\s,，;；、]+", text or ""))
    return list(dict.fromkeys(p for p in parts if p))


def scan_title(fault: str, *, limit: int = 40) -> str:
    """The request's title from the first line of what the customer typed, cut at `limit` characters."""
    first = next((line.strip() for line in (fault or "").splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"
