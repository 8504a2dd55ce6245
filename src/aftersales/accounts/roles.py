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

# Base data (issue 3): everybody on the staff reads it; who writes which part differs by role.
_READ_BASE_DATA = (
    "customers.view_customer",
    "catalog.view_productmodel",
    "catalog.view_soldunit",
    "catalog.view_warrantypolicy",
    "catalog.view_feeschedule",
    "sales.view_servicecontract",
)
_CUSTOMER_WRITE = (
    "customers.add_customer",
    "customers.change_customer",
    "catalog.add_soldunit",
    "catalog.change_soldunit",
)
_ORDERS = ("sales.view_salesorder",)
_ORDER_WRITE = (
    "sales.add_salesorder",
    "sales.change_salesorder",
    "sales.add_servicecontract",
    "sales.change_servicecontract",
)
_MASTER_DATA = (
    "catalog.add_productmodel",
    "catalog.change_productmodel",
    "catalog.add_warrantypolicy",
    "catalog.change_warrantypolicy",
    "catalog.add_feeschedule",
    "catalog.change_feeschedule",
)
_SLA_ADMIN = (
    "sla.add_slapolicy",
    "sla.change_slapolicy",
    "sla.add_publicday",
    "sla.change_businesscalendar",
    "sla.view_unitcalendar",
    "sla.add_unitcalendar",
    "sla.change_unitcalendar",
    "sla.delete_unitcalendar",
)
_PERSONAL_DATA = ("customers.view_personal_data",)
_EXPORT_PERSONAL = ("customers.export_personal_data",)
_MERGE = ("customers.merge_customer",)
_SR_READ = ("service.view_servicerequest",)
_SR_WORK = (*_SR_READ, "service.add_servicerequest", "service.change_servicerequest")
_SR_DISPATCH = ("service.dispatch_servicerequest",)
_READ = (*_READ_BASE, *_READ_BASE_DATA, *_SR_READ)

ROLES: tuple[Role, ...] = (
    Role("customer", _("Customer / member"), _("Submits and tracks own requests in the portal"), (), staff=False),
    Role(
        "agent",
        _("Service agent"),
        _("Takes calls and messages, registers requests, revisits"),
        (*_READ, *_CUSTOMER_WRITE, *_ORDERS, *_SR_WORK, *_SR_DISPATCH),
    ),
    Role(
        "sales",
        _("Sales staff"),
        _("Owns customers, judges problems first, escalates them"),
        (*_READ, *_CUSTOMER_WRITE, *_ORDERS, *_ORDER_WRITE, *_SR_WORK),
    ),
    Role("technician", _("Service engineer"), _("Appointments, on-site and in-factory repair"), (*_READ, *_SR_WORK)),
    Role("expert", _("Expert"), _("Answers hard questions, calls members"), (*_READ, *_ORDERS, *_SR_WORK)),
    Role(
        "supervisor",
        _("After-sales supervisor"),
        _("Queues, dispatch, escalations, approvals, spot checks"),
        (
            *_SUPERVISE,
            *_READ,
            *_CUSTOMER_WRITE,
            *_ORDERS,
            *_ORDER_WRITE,
            *_PERSONAL_DATA,
            *_MERGE,
            *_SR_WORK,
            *_SR_DISPATCH,
            *_SLA_ADMIN,
        ),
    ),
    Role("qa", _("QA department"), _("Investigates quality complaints and claims"), (*_READ, *_ORDERS, *_SR_WORK)),
    Role("parts_clerk", _("Parts clerk"), _("Spare-parts stock, receipts, issues, stock-takes"), _READ),
    Role(
        "partner",
        _("Outlet / partner"),
        _("Regional service point: repairs and warranty claims"),
        (*_READ, "catalog.add_soldunit", "catalog.change_soldunit", *_SR_WORK),
    ),
    Role(
        "manager",
        _("Manager / director"),
        _("Dashboards, approvals above a limit, KPI schemes"),
        (
            *_SUPERVISE,
            *_HEAD_OFFICE,
            "accounts.add_orgunit",
            "accounts.change_orgunit",
            *_READ,
            *_CUSTOMER_WRITE,
            *_ORDERS,
            *_ORDER_WRITE,
            *_MASTER_DATA,
            *_PERSONAL_DATA,
            *_EXPORT_PERSONAL,
            *_MERGE,
            *_SR_WORK,
            *_SR_DISPATCH,
            *_SLA_ADMIN,
        ),
    ),
    Role(
        "auditor",
        _("Auditor"),
        _("Read-only access to records and the audit trail"),
        (*_READ, *_ORDERS, "core.view_auditentry", "exchange.view_importjob", *_HEAD_OFFICE),
    ),
    Role(
        "admin",
        _("System administrator"),
        _("Users, roles, org units and settings"),
        (
            *_SUPERVISE,
            *_HEAD_OFFICE,
            "accounts.add_orgunit",
            "accounts.change_orgunit",
            "accounts.view_apitoken",
            *_READ,
            *_CUSTOMER_WRITE,
            *_ORDERS,
            *_ORDER_WRITE,
            *_MASTER_DATA,
            *_PERSONAL_DATA,
            *_EXPORT_PERSONAL,
            *_MERGE,
            *_SR_WORK,
            *_SR_DISPATCH,
            *_SLA_ADMIN,
        ),
    ),
)

ROLES_BY_CODE = {role.code: role for role in ROLES}
STAFF_ROLE_CODES = tuple(r.code for r in ROLES if r.staff)


def role_label(code: str) -> str:
    role = ROLES_BY_CODE.get(code)
    return str(role.label) if role else code
