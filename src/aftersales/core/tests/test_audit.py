"""The audit trail: entries carry who/when/channel/IP/changes and can never be changed or deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, transaction
from django.test import Client, RequestFactory

from aftersales.core import audit, context
from aftersales.core.context import Channel
from aftersales.core.models import AuditEntry


def test_record_takes_actor_channel_and_ip_from_the_context(org, make_user):
    agent = make_user("agent", org["a"])
    with context.acting(actor=agent, channel=Channel.JOB, ip="10.1.2.3"):
        entry = audit.audit_record(action="update", target=org["a"], changes={"name": ["a", "b"]})
    entry.refresh_from_db()
    assert entry.actor == agent
    assert entry.channel == "job"
    assert entry.ip == "10.1.2.3"
    assert entry.request_id
    assert entry.target_type == "accounts.orgunit"
    assert entry.object_id == str(org["a"].pk)
    assert entry.org_unit_id == org["a"].pk
    assert entry.changes == {"name": ["a", "b"]}
    assert agent.full_name in entry.actor_label


def test_record_without_actor_is_the_system(db):
    entry = audit.audit_record(action="create", target_type="x.y", object_id=1, object_repr="thing")
    assert entry.actor is None and entry.actor_label == "系统" and entry.channel == "system"


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.audit_record(action="teleport", target_type="x.y", object_id=1)


def test_entries_cannot_be_updated_in_the_database(org, make_user):
    entry = audit.audit_record(action="create", target=org["a"])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    entry.note = "rewritten"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_entries_cannot_be_deleted_in_the_database(org):
    entry = audit.audit_record(action="create", target=org["a"])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_offers_no_add_change_or_delete_even_to_superusers(org, make_user):
    admin_user = make_user("", org["hq"], superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = site._registry[AuditEntry]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_api_has_no_write_endpoint_for_audit_entries(org, make_user, api_client_for):
    client = api_client_for(make_user("auditor", org["hq"]))
    entry = audit.audit_record(action="create", target=org["a"])
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(f"/api/v1/audit-entries/{entry.pk}").status_code in (404, 405)
        assert getattr(client, method)("/api/v1/audit-entries").status_code in (404, 405)
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_auditor_lists_all_and_filters(org, make_user, api_client_for):
    auditor = make_user("auditor", org["hq"])
    audit.audit_record(action="create", target=org["a"])
    audit.audit_record(action="update", target=org["b"])
    client = api_client_for(auditor)
    body = client.get("/api/v1/audit-entries?target_type=accounts.orgunit").json()
    assert {e["object_id"] for e in body["items"]} == {str(org["a"].pk), str(org["b"].pk)}
    only_updates = client.get("/api/v1/audit-entries?action=update&target_type=accounts.orgunit").json()
    assert [e["object_id"] for e in only_updates["items"]] == [str(org["b"].pk)]


def test_supervisor_sees_audit_of_own_units_only_and_agents_none(org, make_user, api_client_for):
    audit.audit_record(action="create", target=org["a"])
    audit.audit_record(action="create", target=org["b"])
    body = api_client_for(make_user("supervisor", org["a"])).get("/api/v1/audit-entries?page_size=100").json()
    assert str(org["b"].pk) not in {e["object_id"] for e in body["items"] if e["target_type"] == "accounts.orgunit"}
    assert api_client_for(make_user("agent", org["a"])).get("/api/v1/audit-entries").status_code == 403


def test_ui_changes_are_audited_with_the_ui_channel(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.force_login(supervisor)
    response = client.post(
        "/staff/new/",
        {
            "username": "ui-made",
            "full_name": "界面创建",
            "password": "Another-Long-Pass-9",
            "org_unit": org["a"].pk,
            "roles": ["agent"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(target_type="accounts.user", action="create", object_repr="界面创建")
    assert entry.channel == "ui" and entry.ip == "192.0.2.7" and entry.actor == supervisor


def test_json_value_and_diff():
    assert audit.json_value(Decimal("1.50")) == "1.50"
    assert audit.json_value(dt.date(2026, 1, 2)) == "2026-01-02"
    assert audit.json_value({"a": [dt.time(9, 30)]}) == {"a": ["09:30:00"]}
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}
    assert audit.diff({}, {"c": "x"}) == {"c": [None, "x"]}


def test_history_for_lists_a_records_entries_newest_first(org):
    first = audit.audit_record(action="create", target=org["a"])
    second = audit.audit_record(action="update", target=org["a"])
    audit.audit_record(action="update", target=org["b"])
    assert [e.pk for e in audit.history_for(org["a"])] == [second.pk, first.pk]
