"""UI views of service requests (the workbench comes with its own pages)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from aftersales.core.errors import NotFound
from aftersales.service import selectors
from aftersales.service.models import Attachment
from aftersales.service.policies import is_customer_actor


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve an attachment to someone who may see its request (never from a public media URL)."""
    item = Attachment.objects.select_related("request").filter(pk=attachment_id).first()
    if item is None:
        raise NotFound()
    selectors.request_get(actor=request.user, request_id=item.request_id)
    if is_customer_actor(request.user) and not item.is_public:
        raise NotFound()
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    disposition = "inline" if item.is_image or item.content_type == "application/pdf" else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(item.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
