"""The roles of DOMAIN §1 as Django groups, and the permissions each role carries.

This table is the single source of truth: `roles_sync` (run after every migrate) makes the groups
match it. Later apps add their permission codenames here; a codename whose app is not installed
yet is skipped, so the table can name the whole product.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: Promise
    description: Promise
    permissions: tuple[str, ...]
    staff: bool = True  # False for the portal's customers


_READ_BASE = ("accounts.view_user", "accounts.view_orgunit")
_SUPERVISE = (*_READ_BASE, "accounts.add_user", "accounts.change_user", "core.view_auditentry")
_HEAD_OFFICE = ("accounts.view_all_units",)

ROLES: tuple[Role, ...] = (
    Role("customer", _("Customer / member"), _("Submits and tracks own requests in the portal"), (), staff=False),
    Role("agent", _("Service agent"), _("Takes calls and messages, registers requests, revisits"), _READ_BASE),
    Role("sales", _("Sales staff"), _("Owns customers, judges problems first, escalates them"), _READ_BASE),
    Role("technician", _("Service engineer"), _("Appointments, on-site and in-factory repair"), _READ_BASE),
    Role("expert", _("Expert"), _("Answers hard questions, calls members"), _READ_BASE),
    Role(
        "supervisor",
        _("After-sales supervisor"),
        _("Queues, dispatch, escalations, approvals, spot checks"),
        _SUPERVISE,
    ),
    Role("qa", _("QA department"), _("Investigates quality complaints and claims"), _READ_BASE),
    Role("parts_clerk", _("Parts clerk"), _("Spare-parts stock, receipts, issues, stock-takes"), _READ_BASE),
    Role("partner", _("Outlet / partner"), _("Regional service point: repairs and warranty claims"), _READ_BASE),
    Role(
        "manager",
        _("Manager / director"),
        _("Dashboards, approvals above a limit, KPI schemes"),
        (*_SUPERVISE, *_HEAD_OFFICE, "accounts.add_orgunit", "accounts.change_orgunit"),
    ),
    Role(
        "auditor",
        _("Auditor"),
        _("Read-only access to records and the audit trail"),
        (*_READ_BASE, "core.view_auditentry", *_HEAD_OFFICE),
    ),
    Role(
        "admin",
        _("System administrator"),
        _("Users, roles, org units and settings"),
        (*_SUPERVISE, *_HEAD_OFFICE, "accounts.add_orgunit", "accounts.change_orgunit", "accounts.view_apitoken"),
    ),
)

ROLES_BY_CODE = {role.code: role for role in ROLES}
STAFF_ROLE_CODES = tuple(r.code for r in ROLES if r.staff)


def role_label(code: str) -> str:
    role = ROLES_BY_CODE.get(code)
    return str(role.label) if role else code
