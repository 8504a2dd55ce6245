"""Services of the accounts app against the real database: rules, permissions, audit entries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aftersales.accounts import services
from aftersales.accounts.models import ApiToken, OrgUnit, User, UserKind
from aftersales.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from aftersales.core.models import AuditEntry

GOOD_PASSWORD = "Sufficiently-Long-77"


def test_org_unit_create_derives_the_tree_path_and_audits(org, make_user):
    manager = make_user("manager", org["hq"])
    unit = services.org_unit_create(actor=manager, name="徐汇二组", code="T-A2", kind="team", parent=org["a"])
    assert unit.path == f"{org['a'].path}{unit.pk}/"
    assert unit.depth == org["a"].depth + 1
    entry = AuditEntry.objects.get(target_type="accounts.orgunit", object_id=str(unit.pk))
    assert entry.action == "create"
    assert entry.actor == manager
    assert entry.changes["name"] == [None, "徐汇二组"]


def test_org_unit_create_rejects_duplicate_code_with_a_field_error(org, make_user):
    manager = make_user("manager", org["hq"])
    with pytest.raises(ValidationFailed) as exc:
        services.org_unit_create(actor=manager, name="重复", code="O-A", kind="outlet", parent=org["east"])
    assert exc.value.errors[0].field == "code"
    assert not OrgUnit.objects.filter(name="重复").exists()


def test_org_unit_create_validates_every_field(org, make_user):
    manager = make_user("manager", org["hq"])
    with pytest.raises(ValidationFailed) as exc:
        services.org_unit_create(actor=manager, name=" ", code="", kind="castle", parent=org["east"])
    assert {e.field for e in exc.value.errors} == {"name", "code", "kind"}


def test_org_unit_create_needs_the_permission(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    with pytest.raises(PermissionDenied):
        services.org_unit_create(actor=supervisor, name="x", code="X", kind="team", parent=org["a"])


def test_org_unit_update_with_a_stale_version_is_a_conflict(org, make_user):
    manager = make_user("manager", org["hq"])
    unit = org["a"]
    services.org_unit_update(
        actor=manager, unit=unit, expected_version=1, name="徐汇网点", phone="021-1", address="", is_active=True
    )
    assert unit.version == 2
    stale = OrgUnit.objects.get(pk=unit.pk)
    with pytest.raises(StaleVersion):
        services.org_unit_update(
            actor=manager, unit=stale, expected_version=1, name="另一个名字", phone="", address="", is_active=True
        )
    assert OrgUnit.objects.get(pk=unit.pk).name == "徐汇网点"


def test_user_create_checks_password_username_and_unit(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(
            actor=supervisor, username=supervisor.username, password="123", full_name="张三", org_unit=None
        )
    fields = {e.field for e in exc.value.errors}
    assert {"username", "password", "org_unit"} <= fields


def test_user_create_in_a_unit_outside_scope_is_not_found(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    with pytest.raises(NotFound):
        services.user_create(
            actor=supervisor,
            username="li",
            password=GOOD_PASSWORD,
            full_name="李四",
            org_unit=org["b"],
            roles=["agent"],
        )
    assert not User.objects.filter(username="li").exists()


def test_user_create_audits_roles(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    user = services.user_create(
        actor=supervisor, username="wang", password=GOOD_PASSWORD, full_name="王五", org_unit=org["a1"], roles=["agent"]
    )
    assert user.groups.filter(name="agent").exists()
    assert user.check_password(GOOD_PASSWORD)
    entry = AuditEntry.objects.get(target_type="accounts.user", object_id=str(user.pk), action="create")
    assert entry.changes["roles"] == [[], ["agent"]]
    assert "password" not in entry.changes


def test_a_supervisor_cannot_grant_a_role_with_more_rights(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=supervisor,
            username="boss",
            password=GOOD_PASSWORD,
            full_name="老板",
            org_unit=org["a"],
            roles=["admin"],
        )
    agent = make_user("agent", org["a"])
    with pytest.raises(PermissionDenied):
        services.user_set_roles(actor=supervisor, user=agent, roles=["manager"])


def test_customer_roles_only_for_customers(org, make_user):
    manager = make_user("manager", org["hq"])
    with pytest.raises(ValidationFailed):
        services.user_create(
            actor=manager,
            username="c1",
            password=GOOD_PASSWORD,
            full_name="客户",
            org_unit=org["a"],
            roles=["customer"],
        )
    customer = services.user_create(
        actor=manager,
        username="c2",
        password=GOOD_PASSWORD,
        full_name="客户",
        org_unit=None,
        roles=["customer"],
        kind=UserKind.CUSTOMER,
    )
    assert customer.org_unit is None


def test_user_update_cannot_deactivate_oneself(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    with pytest.raises(ValidationFailed):
        services.user_update(
            actor=supervisor,
            user=supervisor,
            full_name="x",
            email="",
            phone="",
            employee_no="",
            org_unit=org["a"],
            is_active=False,
        )


def test_user_update_records_old_and_new_values(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    agent = make_user("agent", org["a"], full_name="赵六")
    services.user_update(
        actor=supervisor,
        user=agent,
        full_name="赵六六",
        email="",
        phone="13800001111",
        employee_no="",
        org_unit=org["a1"],
        is_active=True,
    )
    entry = AuditEntry.objects.filter(target_type="accounts.user", object_id=str(agent.pk), action="update").get()
    assert entry.changes["full_name"] == ["赵六", "赵六六"]
    assert entry.changes["org_unit"] == [org["a"].pk, org["a1"].pk]
    assert entry.changes["phone"] == ["", "13800001111"]


def test_api_token_is_hashed_at_rest_and_authenticates(org, make_user):
    agent = make_user("agent", org["a"])
    token, raw = services.api_token_create(actor=agent, name="ERP")
    assert raw.startswith("as_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.digest, stored.prefix, stored.name}
    assert services.api_token_authenticate(raw) == agent
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_revoked_expired_or_inactive_tokens_do_not_authenticate(org, make_user):
    agent = make_user("agent", org["a"])
    token, raw = services.api_token_create(actor=agent, name="t")
    services.api_token_revoke(actor=agent, token=token)
    assert services.api_token_authenticate(raw) is None

    token2, raw2 = services.api_token_create(actor=agent, name="t2", expires_at=timezone.now() + dt.timedelta(hours=1))
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.api_token_authenticate(raw2) is None

    _t3, raw3 = services.api_token_create(actor=agent, name="t3")
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert services.api_token_authenticate(raw3) is None
    assert services.api_token_authenticate("as_garbage") is None
    assert services.api_token_authenticate("not-a-token") is None


def test_token_expiry_in_the_past_is_refused(org, make_user):
    agent = make_user("agent", org["a"])
    with pytest.raises(ValidationFailed):
        services.api_token_create(actor=agent, name="x", expires_at=timezone.now() - dt.timedelta(minutes=1))


def test_another_outlets_supervisor_cannot_revoke_my_token(org, make_user):
    agent = make_user("agent", org["a"])
    other = make_user("supervisor", org["b"])
    token, _raw = services.api_token_create(actor=agent, name="t")
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=other, token=token)


def test_failed_sign_ins_lock_the_name_and_are_audited(org, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    agent = make_user("agent", org["a"])
    for _ in range(3):
        services.login_failure_record(username=agent.username.upper())
    assert services.login_lock_minutes(agent.username) == settings.LOGIN_LOCK_MINUTES
    actions = list(AuditEntry.objects.filter(object_id=str(agent.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["login_failed", "login_failed", "login_failed", "locked"]
    supervisor = make_user("supervisor", org["a"])
    services.login_unlock(actor=supervisor, user=agent)
    assert services.login_lock_minutes(agent.username) == 0


def test_unknown_usernames_are_throttled_too(db):
    for _ in range(5):
        services.login_failure_record(username="nobody")
    assert services.login_lock_minutes("nobody") > 0


def test_bootstrap_creates_root_and_admin_once(db):
    services.roles_sync()
    admin = services.system_bootstrap(company_name="总部", admin_username="admin", admin_password=GOOD_PASSWORD)
    assert admin is not None and admin.is_superuser and admin.org_unit.path == f"/{admin.org_unit_id}/"
    assert services.system_bootstrap(company_name="x", admin_username="admin2", admin_password=GOOD_PASSWORD) is None
    assert User.objects.count() == 1


def test_roles_sync_is_idempotent_and_matches_the_table(db):
    from django.contrib.auth.models import Group

    services.roles_sync()
    services.roles_sync()
    auditor = Group.objects.get(name="auditor")
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in auditor.permissions.select_related("content_type")}
    assert {"accounts.view_user", "accounts.view_orgunit", "core.view_auditentry", "accounts.view_all_units"} <= perms
    assert not any(
        p.startswith(("accounts.add", "accounts.change", "customers.add", "customers.change")) for p in perms
    )
    assert not Group.objects.get(name="customer").permissions.exists()


def test_expired_throttles_are_forgotten_and_live_ones_kept(db):
    from aftersales.accounts.models import LoginThrottle

    now = timezone.now()
    LoginThrottle.objects.create(username="old", failures=2, window_started_at=now - dt.timedelta(hours=1))
    LoginThrottle.objects.create(
        username="locked",
        failures=5,
        window_started_at=now - dt.timedelta(hours=1),
        locked_until=now + dt.timedelta(minutes=5),
    )
    LoginThrottle.objects.create(username="fresh", failures=1, window_started_at=now)
    assert services.login_throttles_expire() == 1
    assert set(LoginThrottle.objects.values_list("username", flat=True)) == {"locked", "fresh"}
    assert services.login_throttles_expire() == 0


def test_every_permission_named_in_the_roles_table_exists(db):
    from django.contrib.auth.models import Permission

    from aftersales.accounts.roles import ROLES

    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    named = {perm for role in ROLES for perm in role.permissions}
    assert named - existing == set()
