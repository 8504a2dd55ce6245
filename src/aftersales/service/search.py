"""Keeping a request's search document current, and matching it (vendor-specific SQL, one place)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from aftersales.core import search
from aftersales.service.models import SearchDocument, ServiceRequest, TimelineEntry


def document_text(request: ServiceRequest) -> str:
    """Number, customer name and phones, serial, model, title, description and every reply or note."""
    customer = request.customer
    phones = " ".join(customer.phones.values_list("number", flat=True))
    texts = TimelineEntry.objects.filter(request=request, kind__in=["reply", "note", "customer"]).values_list(
        "body", flat=True
    )
    return search.index_text(
        request.number,
        customer.name,
        phones,
        request.contact_phone,
        request.unit.serial if request.unit_id and request.unit else "",
        request.product_model.code if request.product_model_id and request.product_model else "",
        request.title,
        request.description,
        *texts,
    )


def search_document_create(request: ServiceRequest, *, phones: list[str]) -> None:
    """The search document of a request just created (it has no replies yet): one INSERT, with the
    customer's phones read by the caller before its transaction."""
    body = search.index_text(
        request.number,
        request.customer.name,
        " ".join(phones),
        request.contact_phone,
        request.unit.serial if request.unit_id and request.unit else "",
        request.product_model.code if request.product_model_id and request.product_model else "",
        request.title,
        request.description,
    )
    SearchDocument(request=request, body=body).save(force_insert=True)


def document_refresh(request: ServiceRequest) -> None:
    body = document_text(request)
    updated = SearchDocument.objects.filter(request=request).update(body=body)
    if not updated:
        SearchDocument.objects.create(request=request, body=body)


def matching(query: str) -> Q:
    """A filter for requests whose document contains every word of the query (bigram phrases)."""
    if not search.is_searchable(query):
        # One Chinese character: the bigram index cannot answer; fall back to a scan of the title.
        return Q(title__contains=query.strip())
    if connection.vendor == "postgresql":
        phrases = search.pg_phrases(query)
        tsquery = " && ".join(["phraseto_tsquery('simple', %s)"] * len(phrases))
        sql = f"SELECT request_id FROM service_searchdocument WHERE tsv @@ ({tsquery})"  # noqa: S608 (placeholders only)
        return Q(pk__in=RawSQL(sql, phrases))  # noqa: S611 (values are bound parameters)
    match = search.fts5_match(query)
    return Q(pk__in=RawSQL("SELECT rowid FROM service_fts WHERE service_fts MATCH %s", [match]))  # noqa: S611
