"""The REST API at /api/v1/: one NinjaAPI, its authentication, error format and the app routers."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from aftersales.accounts.api import router as accounts_router
from aftersales.accounts.services import api_token_authenticate
from aftersales.catalog.api import router as catalog_router
from aftersales.core import context
from aftersales.core.api import router as core_router
from aftersales.core.context import Channel
from aftersales.core.errors import DomainError
from aftersales.customers.api import router as customers_router
from aftersales.exchange.api import router as exchange_router
from aftersales.reports.api import router as reports_router
from aftersales.sales.api import router as sales_router
from aftersales.service.api import router as service_router
from aftersales.service.inbound_api import router as inbound_router

logger = logging.getLogger(__name__)


class ChineseJSONRenderer(JSONRenderer):
    """JSON with Chinese left readable (no \\uXXXX escapes)."""

    json_dumps_params = {"ensure_ascii": False}


def _bind_actor(request: HttpRequest, user: Any) -> None:
    request.user = user
    context.set_context(replace(context.current(), actor=user, channel=Channel.API))


class TokenAuth(HttpBearer):
    """`Authorization: Bearer as_…`: a personal API token (see accounts.ApiToken)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            _bind_actor(request, user)
        return user


class SessionAuth(APIKeyCookie):
    """The browser's signed-in session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            error_response = check_csrf(request)
            if error_response:
                raise HttpError(403, "CSRF")
        _bind_actor(request, user)
        return user


api = NinjaAPI(
    title="Aftersales API (售后服务管理系统)",
    version="1",
    description=(
        "售后服务管理系统 REST API. Authenticate with `Authorization: Bearer <token>` (create a token "
        "under 个人设置 → API 令牌) or a signed-in browser session. Errors always have the form "
        '`{"code": "...", "message": "...", "errors": [{"field": "...", "message": "..."}]}`; '
        "lists take `page` and `page_size` and answer `{items, count, page, page_size, pages}`."
    ),
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "errors": errors or []}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes the location ("body", "query", then the parameter name) — clients want the field.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


# Marked for makemessages (translated when the response is made, in the caller's language).
_PYDANTIC_MESSAGES = {
    "missing": gettext_noop("This field is required."),
    "int_parsing": gettext_noop("Enter a whole number."),
    "int_type": gettext_noop("Enter a whole number."),
    "float_parsing": gettext_noop("Enter a number."),
    "bool_parsing": gettext_noop("Enter true or false."),
    "string_type": gettext_noop("Enter text."),
    "string_too_short": gettext_noop("This text is too short."),
    "string_too_long": gettext_noop("This text is too long."),
    "greater_than_equal": gettext_noop("The value is too small."),
    "less_than_equal": gettext_noop("The value is too large."),
    "datetime_from_date_parsing": gettext_noop("Enter a valid date and time."),
    "datetime_parsing": gettext_noop("Enter a valid date and time."),
    "date_from_datetime_parsing": gettext_noop("Enter a valid date."),
    "date_parsing": gettext_noop("Enter a valid date."),
    "enum": gettext_noop("Choose one of the allowed values."),
    "literal_error": gettext_noop("Choose one of the allowed values."),
    "list_type": gettext_noop("Enter a list."),
    "dict_type": gettext_noop("Enter an object."),
    "model_attributes_type": gettext_noop("Enter an object."),
    "json_invalid": gettext_noop("The request body is not valid JSON."),
    "extra_forbidden": gettext_noop("This field is not allowed."),
    "value_error": gettext_noop("The value is not valid."),
}


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        template = _PYDANTIC_MESSAGES.get(str(err.get("type", "")))
        message = _(template) if template else str(err.get("msg", ""))
        errors.append({"field": _field_of(err.get("loc", ())), "message": message})
    return error_response(request, 422, "validation_error", _("Some fields are not valid."), errors)


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "not_authenticated", _("Authentication is required: sign in or send a valid API token.")
    )


@api.exception_handler(AuthorizationError)
def _authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response(request, 403, "permission_denied", _("You do not have permission to do this."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return error_response(request, 400, "bad_request", _("The request body is not valid JSON."))
    if exc.status_code == 403:
        return error_response(
            request, 403, "csrf_failed", _("The security token (CSRF) is missing or wrong. Reload the page.")
        )
    if exc.status_code == 429:
        return error_response(request, 429, "throttled", _("Too many requests. Try again later."))
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, "not_found", _("The record does not exist or you may not see it."))


api.add_exception_handler(ObjectDoesNotExist, _not_found)  # type: ignore[arg-type]


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 403, "permission_denied", _("You do not have permission to do this."))


@api.exception_handler(DataError)
def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The database refused a value: a number beyond its range (an id or page number of 30 digits), say.
    # Nothing was written (the statement failed; a transaction around it rolls back).
    logger.warning("value refused by the database", extra={"path": request.path, "error": str(exc)[:200]})
    return error_response(request, 400, "invalid_value", _("A value in the request is out of range or not valid."))


@api.exception_handler(MultiPartParserError)
def _unreadable_upload(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return error_response(
        request, 400, "bad_request", _("The upload could not be read: send the file as multipart/form-data.")
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error", extra={"path": request.path})
    return error_response(request, 500, "internal_error", _("An internal error occurred; it has been logged."))


api.add_router("/", core_router)
api.add_router("/", accounts_router)
api.add_router("/", customers_router)
api.add_router("/", catalog_router)
api.add_router("/", sales_router)
api.add_router("/", service_router)
api.add_router("/", inbound_router)
api.add_router("/", exchange_router)
api.add_router("/", reports_router)
