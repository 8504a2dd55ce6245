"""API of the shared kernel: the audit trail (read-only: there is no write endpoint, by design)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from aftersales.core.pagination import PagePagination
from aftersales.core.schemas import AuditEntryOut, AuditFilter
from aftersales.core.selectors import audit_entry_list

router = Router(tags=["audit"])


@router.get("/audit-entries", response=list[AuditEntryOut], summary="The audit trail (auditors, supervisors)")
@paginate(PagePagination)
def audit_list(request: HttpRequest, filters: Query[AuditFilter]) -> Any:
    return audit_entry_list(actor=request.user, **filters.dict())
