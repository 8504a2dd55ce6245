"""The navigation menu: sections and items, each shown only to roles whose permissions allow it.

Each capability adds its items here when it lands; an item without `perm` is for every staff user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.core.urls import reverse_held


@dataclass(frozen=True)
class NavItem:
    label: Promise
    url_name: str
    icon: str
    perm: str = ""
    staff_only: bool = True


@dataclass(frozen=True)
class NavSection:
    label: Promise
    items: tuple[NavItem, ...]


MENU: tuple[NavSection, ...] = (
    NavSection(_("Workbench"), (NavItem(_("Home"), "web:home", "ti-home", staff_only=False),)),
    NavSection(
        _("Service"),
        (
            NavItem(_("Workbench"), "service:workbench", "ti-layout-list", perm="service.view_servicerequest"),
            NavItem(_("New request"), "service:intake", "ti-phone-plus", perm="service.add_servicerequest"),
            NavItem(
                _("Incomplete records"), "service:incomplete", "ti-file-alert", perm="service.change_servicerequest"
            ),
            NavItem(_("Timely resolution"), "service:sla_report", "ti-chart-bar", perm="service.view_servicerequest"),
        ),
    ),
    NavSection(
        _("Organisation"),
        (
            NavItem(_("Staff"), "web:user_list", "ti-users", perm="accounts.view_user"),
            NavItem(_("Org units"), "web:orgunit_list", "ti-sitemap", perm="accounts.view_orgunit"),
        ),
    ),
    NavSection(
        _("Base data"),
        (
            NavItem(_("Customers"), "customers:customer_list", "ti-address-book", perm="customers.view_customer"),
            NavItem(_("Units"), "catalog:unit_list", "ti-barcode", perm="catalog.view_soldunit"),
            NavItem(_("Product models"), "catalog:model_list", "ti-package", perm="catalog.view_productmodel"),
            NavItem(
                _("Warranty policies"), "catalog:policy_list", "ti-shield-check", perm="catalog.view_warrantypolicy"
            ),
            NavItem(_("Fee schedules"), "catalog:fee_list", "ti-currency-yen", perm="catalog.view_feeschedule"),
            NavItem(_("Import and export"), "exchange:job_list", "ti-file-import", perm="customers.add_customer"),
        ),
    ),
    NavSection(
        _("Sales"),
        (
            NavItem(_("Sales orders"), "sales:order_list", "ti-receipt", perm="sales.view_salesorder"),
            NavItem(
                _("Service contracts"), "sales:contract_list", "ti-file-certificate", perm="sales.view_servicecontract"
            ),
        ),
    ),
    NavSection(
        _("Supervision"),
        (
            NavItem(_("Dashboard"), "reports:dashboard", "ti-chart-pie", perm="service.view_servicerequest"),
            NavItem(_("Audit trail"), "web:audit_list", "ti-history", perm="core.view_auditentry"),
        ),
    ),
)


def menu_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    """The sections and items this user may use; the item whose address is the longest prefix of the
    current page is the active one (so /service/new/ marks 新建服务单, not 工作台 as well)."""
    sections: list[dict[str, Any]] = []
    all_items: list[dict[str, Any]] = []
    for section in MENU:
        items: list[dict[str, Any]] = []
        for item in section.items:
            if item.staff_only and getattr(user, "kind", "") != "staff":
                continue
            if item.perm and not user.has_perm(item.perm):
                continue
            items.append({"label": item.label, "url": reverse_held(item.url_name), "icon": item.icon, "active": False})
        if items:
            sections.append({"label": section.label, "items": items})
            all_items.extend(items)
    candidates = [
        i for i in all_items if current_path == i["url"] or (i["url"] != "/" and current_path.startswith(i["url"]))
    ]
    if candidates:
        max(candidates, key=lambda i: len(i["url"]))["active"] = True
    return sections
