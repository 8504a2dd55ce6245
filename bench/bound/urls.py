"""POST /bench/replay-create: a service request's own write statements, replayed with fresh keys.

The bound of bench/bound.py: what a create would cost if building its rows took no time at all. The
first call makes one real create through services.request_create and keeps the INSERT statements its
write transaction ran, with their values; every later call authenticates like the API (a bearer
token), reserves a number and a key as the create does (core.sequences.reserve), puts them, a new
idempotency key and the new number in place of the first create's, and runs the same statements in one
transaction (pipelined on PostgreSQL, as the create). Nothing else: no validation, no rules, no
objects. Served only under bound.settings, by the benchmark.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from aftersales.accounts.services import api_token_authenticate
from aftersales.core.pipeline import pipelined
from aftersales.core.sequences import reserve
from aftersales.service import rules, services
from aftersales.service.models import ServiceRequest
from aftersales.urls import urlpatterns as product_urls

_first: dict[str, Any] = {}


def _capture(user: Any, body: dict[str, Any]) -> None:
    statements: list[tuple[str, list[Any]]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("INSERT") and "core_sequence" not in sql:
            statements.append((sql, list(params)))
        return execute(sql, params, many, context)

    key = str(uuid.uuid4())
    with connection.execute_wrapper(keep):
        request, _created = services.request_create(actor=user, data=services.RequestData(**body), idempotency_key=key)
    _first.update(statements=statements, pk=request.pk, number=request.number, key=key)


def _renewed(value: Any, pk: int, number: str, key: str) -> Any:
    if type(value) is int and value == _first["pk"]:
        return pk
    if isinstance(value, str):
        if value == _first["key"]:
            return key
        value = value.replace(_first["number"], number)
        if len(value) < 200:  # a message's dedupe key, made of the request's key
            value = value.replace(str(_first["pk"]), str(pk))
    return value


@csrf_exempt
def replay_create(request: HttpRequest) -> HttpResponse:
    user = api_token_authenticate(request.headers.get("Authorization", "").removeprefix("Bearer ").strip())
    if user is None:
        return HttpResponse(status=401)
    if not _first:
        _capture(user, json.loads(request.body))
        return HttpResponse(b'{"captured": true}', status=201, content_type="application/json")
    day = timezone.localtime().date()
    reserved = reserve(f"sr-{day.isoformat()}", ServiceRequest)
    number, key = rules.request_number(day, reserved.value), str(uuid.uuid4())
    statements = [
        (sql, [_renewed(v, reserved.pk, number, key) for v in params]) for sql, params in _first["statements"]
    ]
    with transaction.atomic(), pipelined(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if " RETURNING " in sql:
                cursor.fetchall()
    body = json.dumps({"id": reserved.pk, "number": number}).encode()
    return HttpResponse(body, status=201, content_type="application/json")


urlpatterns = [path("bench/replay-create", replay_create), *product_urls]
