"""Turns domain errors raised in UI views into readable pages with the right status (never a 500), and
so a value the database refuses (a number beyond its range in a link or a form)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from aftersales.core.errors import BadRequest, DomainError, NotFound, PermissionDenied


class DomainErrorPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exc, DataError):
            exc = BadRequest(message=_("A value in the request is out of range or not valid."))
        if not isinstance(exc, DomainError):
            return None
        template = (
            "404.html"
            if isinstance(exc, NotFound)
            else "403.html"
            if isinstance(exc, PermissionDenied)
            else "web/error.html"
        )
        response = TemplateResponse(request, template, {"error": exc}, status=exc.status)
        return response.render()
