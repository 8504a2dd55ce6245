"""Every write of the accounts app: org units, users and roles, API tokens, sign-in throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts import rules
from aftersales.accounts.models import ApiToken, LoginThrottle, OrgUnit, OrgUnitKind, User, UserKind
from aftersales.accounts.policies import can_grant, require_perm, require_unit
from aftersales.accounts.roles import ROLES, ROLES_BY_CODE
from aftersales.core.audit import audit_record, diff, snapshot
from aftersales.core.config_cache import config_changed
from aftersales.core.errors import FieldError, PermissionDenied, ValidationFailed, field_error
from aftersales.core.models import AuditAction
from aftersales.core.prepared import Prepared
from aftersales.core.versioning import save_versioned

TOKEN_PREFIX = "as_"


# --- roles ------------------------------------------------------------------------------------


def roles_sync() -> None:
    """Make one group per role carry exactly the permissions of `roles.ROLES` that exist."""
    wanted = {perm for role in ROLES for perm in role.permissions}
    by_name: dict[str, Permission] = {}
    for perm in Permission.objects.select_related("content_type").filter(
        codename__in={p.split(".", 1)[1] for p in wanted}
    ):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.code)
        group.permissions.set([by_name[p] for p in role.permissions if p in by_name])


def _role_permissions(code: str) -> set[str]:
    return set(ROLES_BY_CODE[code].permissions)


def _check_roles(actor: Any, roles: Iterable[str], kind: str) -> list[str]:
    codes = list(dict.fromkeys(roles))
    unknown = [c for c in codes if c not in ROLES_BY_CODE]
    if unknown:
        raise field_error("roles", _("Unknown role: %(codes)s") % {"codes": ", ".join(unknown)})
    for code in codes:
        if ROLES_BY_CODE[code].staff != (kind == UserKind.STAFF):
            raise field_error("roles", _("Role %(code)s does not fit this kind of user.") % {"code": code})
        if not can_grant(actor.get_all_permissions(), _role_permissions(code), actor_is_superuser=actor.is_superuser):
            raise PermissionDenied(message=_("You may not grant a role with more rights than your own."))
    return codes


# --- org units --------------------------------------------------------------------------------


def org_unit_create(
    *,
    actor: Any,
    name: str,
    code: str,
    kind: str,
    parent: OrgUnit | None = None,
    phone: str = "",
    address: str = "",
) -> OrgUnit:
    """Create a unit under `parent` (a root needs head-office scope); its tree path is derived here."""
    require_perm(actor, "accounts.add_orgunit")
    if parent is None:
        require_perm(actor, "accounts.view_all_units")
    else:
        require_unit(actor, parent.pk)
    errors = _org_unit_errors(name=name, code=code, kind=kind)
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        unit = OrgUnit(name=name.strip(), code=code.strip(), kind=kind, parent=parent, phone=phone, address=address)
        try:
            unit.save(force_insert=True)
        except IntegrityError as exc:
            raise field_error("code", _("This code is already in use.")) from exc
        unit.path = rules.child_path(parent.path if parent else "", unit.pk)
        unit.depth = parent.depth + 1 if parent else 0
        OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
        config_changed()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=unit,
            org_unit_id=unit.pk,
            changes=diff({}, snapshot(unit, ["name", "code", "kind", "parent", "phone", "address"])),
        )
    return unit


def _org_unit_errors(*, name: str, code: str, kind: str) -> list[FieldError]:
    errors = []
    if not name.strip():
        errors.append(FieldError("name", _("Name is required.")))
    if not code.strip():
        errors.append(FieldError("code", _("Code is required.")))
    if kind not in OrgUnitKind.values:
        errors.append(FieldError("kind", _("Unknown kind of unit.")))
    return errors


def org_unit_update(
    *, actor: Any, unit: OrgUnit, expected_version: int, name: str, phone: str, address: str, is_active: bool
) -> OrgUnit:
    """Change a unit's descriptive fields (moving a unit in the tree is a separate, later operation)."""
    require_perm(actor, "accounts.change_orgunit")
    require_unit(actor, unit.pk)
    if not name.strip():
        raise field_error("name", _("Name is required."))
    fields = ["name", "phone", "address", "is_active"]
    before = snapshot(unit, fields)
    unit.name, unit.phone, unit.address, unit.is_active = name.strip(), phone, address, is_active
    with transaction.atomic():
        save_versioned(unit, expected_version=expected_version, fields=fields)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=unit,
            org_unit_id=unit.pk,
            changes=diff(before, snapshot(unit, fields)),
        )
    return unit


def org_unit_subtree_ids(units: Iterable[OrgUnit]) -> frozenset[int]:
    paths = [u.path for u in units if u.path]
    if not paths:
        return frozenset()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return frozenset(OrgUnit.objects.filter(q).values_list("id", flat=True))


# --- users ------------------------------------------------------------------------------------

_USER_FIELDS = ["username", "full_name", "email", "phone", "employee_no", "org_unit", "kind", "is_active"]


def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    full_name: str,
    org_unit: OrgUnit | None,
    roles: Iterable[str] = (),
    email: str = "",
    phone: str = "",
    employee_no: str = "",
    kind: str = UserKind.STAFF,
) -> User:
    """Create a staff member in a unit the actor may see (or a portal customer, who has no unit)."""
    require_perm(actor, "accounts.add_user")
    errors: list[FieldError] = []
    username = username.strip()
    if not username:
        errors.append(FieldError("username", _("Username is required.")))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(FieldError("username", _("This username is already taken.")))
    if kind not in UserKind.values:
        errors.append(FieldError("kind", _("Unknown kind of user.")))
    if kind == UserKind.STAFF and org_unit is None:
        errors.append(FieldError("org_unit", _("A staff member must belong to an org unit.")))
    if kind == UserKind.CUSTOMER and org_unit is not None:
        errors.append(FieldError("org_unit", _("Portal customers belong to no org unit.")))
    try:
        validate_password(password, User(username=username, full_name=full_name, email=email))
    except DjangoValidationError as exc:
        errors.extend(FieldError("password", str(m)) for m in exc.messages)
    if errors:
        raise ValidationFailed(errors=errors)
    if org_unit is not None:
        require_unit(actor, org_unit.pk)
    codes = _check_roles(actor, roles, kind)
    with transaction.atomic():
        user = User(
            username=username,
            full_name=full_name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            employee_no=employee_no.strip(),
            org_unit=org_unit,
            kind=kind,
        )
        user.set_password(password)
        user.save(force_insert=True)
        user.groups.set(Group.objects.filter(name__in=codes))
        changes = diff({}, snapshot(user, _USER_FIELDS))
        changes["roles"] = [[], sorted(codes)]
        audit_record(actor=actor, action=AuditAction.CREATE, target=user, changes=changes)
    return user


def user_update(
    *,
    actor: Any,
    user: User,
    full_name: str,
    email: str,
    phone: str,
    employee_no: str,
    org_unit: OrgUnit | None,
    is_active: bool,
) -> User:
    """Change a user's profile, home unit and active flag (deactivation instead of deletion)."""
    require_perm(actor, "accounts.change_user")
    require_unit(actor, user.org_unit_id)
    if user.kind == UserKind.STAFF:
        if org_unit is None:
            raise field_error("org_unit", _("A staff member must belong to an org unit."))
        require_unit(actor, org_unit.pk)
    if user.pk == actor.pk and not is_active:
        raise field_error("is_active", _("You cannot deactivate yourself."))
    before = snapshot(user, _USER_FIELDS)
    user.full_name, user.email, user.phone, user.employee_no = (
        full_name.strip(),
        email.strip(),
        phone.strip(),
        employee_no.strip(),
    )
    user.org_unit = org_unit if user.kind == UserKind.STAFF else None
    user.is_active = is_active
    with transaction.atomic():
        user.save(update_fields=["full_name", "email", "phone", "employee_no", "org_unit", "is_active"])
        audit_record(
            actor=actor, action=AuditAction.UPDATE, target=user, changes=diff(before, snapshot(user, _USER_FIELDS))
        )
    return user


def user_set_roles(*, actor: Any, user: User, roles: Iterable[str]) -> User:
    require_perm(actor, "accounts.change_user")
    require_unit(actor, user.org_unit_id)
    codes = _check_roles(actor, roles, user.kind)
    before = sorted(user.groups.values_list("name", flat=True))
    removed = set(before) - set(codes)
    for code in removed:
        if code in ROLES_BY_CODE and not can_grant(
            actor.get_all_permissions(), _role_permissions(code), actor_is_superuser=actor.is_superuser
        ):
            raise PermissionDenied(message=_("You may not take away a role with more rights than your own."))
    with transaction.atomic():
        user.groups.set(Group.objects.filter(name__in=codes))
        audit_record(actor=actor, action=AuditAction.UPDATE, target=user, changes={"roles": [before, sorted(codes)]})
    # Django caches permissions on the instance.
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_visible_unit_ids"):
        user.__dict__.pop(attr, None)
    return user


def user_set_password(*, actor: Any, user: User, password: str) -> None:
    if actor.pk != user.pk:
        require_perm(actor, "accounts.change_user")
        require_unit(actor, user.org_unit_id)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors=[FieldError("password", str(m)) for m in exc.messages]) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action=AuditAction.UPDATE, target=user, changes={"password": ["***", "***"]})


def user_set_language(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise field_error("language", _("Unknown language."))
    if user.preferred_language != language:
        User.objects.filter(pk=user.pk).update(preferred_language=language)
        user.preferred_language = language


# --- API tokens -------------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, actor: Any, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for the actor; the raw token is returned once and never stored."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    if not name.strip():
        raise field_error("name", _("Name is required."))
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error("expires_at", _("The expiry time must be in the future."))
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken(user=actor, name=name.strip()[:100], prefix=prefix, digest=_digest(raw), expires_at=expires_at)
        token.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=token,
            org_unit_id=actor.org_unit_id,
            changes={"name": [None, token.name]},
        )
    return token, raw


def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token; an owner revokes their own, an administrator anyone's in scope."""
    if token.user_id != actor.pk:
        require_perm(actor, "accounts.change_user")
        require_unit(actor, token.user.org_unit_id)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    with transaction.atomic():
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=token,
            org_unit_id=token.user.org_unit_id,
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token


# Every API call asks this: compiled once (core.prepared), it costs the statement alone.
_token_by_digest: Prepared[ApiToken] = Prepared(
    lambda digest: ApiToken.objects.select_related("user").filter(digest=digest).order_by("pk")[:1]
)


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a token, or None if it is unknown, revoked or expired."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = _token_by_digest.first(digest=_digest(raw))
    if token is None:
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    touch = dt.timedelta(seconds=settings.API_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is None or now - token.last_used_at >= touch:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- sign-in throttling -----------------------------------------------------------------------


def _throttle_key(username: str) -> str:
    return username.strip().lower()[:150]


def _state(row: LoginThrottle | None) -> rules.ThrottleState:
    if row is None:
        return rules.ThrottleState(0, None, None)
    return rules.ThrottleState(row.failures, row.window_started_at, row.locked_until)


def login_lock_minutes(username: str) -> int:
    """Minutes until `username` may try again; 0 when it is not locked."""
    row = LoginThrottle.objects.filter(username=_throttle_key(username)).first()
    return rules.minutes_left(_state(row), timezone.now())


def login_failure_record(*, username: str) -> rules.ThrottleState:
    """Count a failed sign-in; lock the name after too many. Audited, including unknown names."""
    key = _throttle_key(username)
    now = timezone.now()
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().filter(username=key).first()
        before = _state(row)
        after = rules.after_failure(
            before,
            now,
            max_failures=settings.LOGIN_MAX_FAILURES,
            window=dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES),
            lock=dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES),
        )
        LoginThrottle.objects.update_or_create(
            username=key,
            defaults={
                "failures": after.failures,
                "window_started_at": after.window_started_at,
                "locked_until": after.locked_until,
            },
        )
        user = User.objects.filter(username__iexact=key).first()
        audit_record(
            action=AuditAction.LOGIN_FAILED,
            target_type="accounts.user",
            object_id=user.pk if user else "",
            object_repr=key,
            org_unit_id=user.org_unit_id if user else None,
            actor=None,
            changes={"failures": [before.failures, after.failures]},
        )
        if after.locked_until is not None and before.locked_until != after.locked_until:
            audit_record(
                action=AuditAction.LOCKED,
                target_type="accounts.user",
                object_id=user.pk if user else "",
                object_repr=key,
                org_unit_id=user.org_unit_id if user else None,
                actor=None,
                changes={"locked_until": [None, after.locked_until.isoformat()]},
            )
    return after


def login_success_record(*, user: User) -> None:
    """A successful sign-in clears the failure count and is audited."""
    LoginThrottle.objects.filter(username=_throttle_key(user.get_username())).delete()
    audit_record(action=AuditAction.LOGIN, target=user, actor=user)


def login_unlock(*, actor: Any, user: User) -> None:
    """An administrator lifts a lock before it runs out."""
    require_perm(actor, "accounts.change_user")
    require_unit(actor, user.org_unit_id)
    with transaction.atomic():
        deleted, _count = LoginThrottle.objects.filter(username=_throttle_key(user.get_username())).delete()
        if deleted:
            audit_record(
                actor=actor, action=AuditAction.UPDATE, target=user, changes={"locked_until": ["locked", None]}
            )


# --- first start ------------------------------------------------------------------------------

HEAD_OFFICE_CODE = "HQ"


def system_bootstrap(*, company_name: str, admin_username: str, admin_password: str) -> User | None:
    """On first start: the root unit and the first administrator. Returns None if users exist already."""
    if User.objects.filter(is_superuser=True).exists():
        return None
    with transaction.atomic():
        root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
        if root is None:
            root = OrgUnit(name=company_name, code=HEAD_OFFICE_CODE, kind=OrgUnitKind.COMPANY)
            root.save(force_insert=True)
            root.path = rules.child_path("", root.pk)
            OrgUnit.objects.filter(pk=root.pk).update(path=root.path)
            config_changed()
            audit_record(
                action=AuditAction.CREATE, target=root, org_unit_id=root.pk, changes={"name": [None, root.name]}
            )
        admin = User(
            username=admin_username,
            full_name="系统管理员",
            kind=UserKind.STAFF,
            org_unit=root,
            is_staff=True,
            is_superuser=True,
        )
        admin.set_password(admin_password)
        admin.save(force_insert=True)
        admin.groups.set(Group.objects.filter(name="admin"))
        audit_record(
            action=AuditAction.CREATE,
            target=admin,
            changes={"username": [None, admin.username], "roles": [[], ["admin"]]},
        )
    return admin


def login_throttles_expire() -> int:
    """Delete throttle rows that no longer lock and whose counting window has passed."""
    now = timezone.now()
    window_start = now - dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    stale = LoginThrottle.objects.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now)).filter(
        Q(window_started_at__isnull=True) | Q(window_started_at__lte=window_start)
    )
    deleted, _by_model = stale.delete()
    return deleted


INTAKE_USERNAME = "system-intake"


def intake_user_get() -> User:
    """The account that inbound e-mail, SMS/WeChat and scan-to-report act as: an agent of head office.

    Created on first use (audited), with no usable password, so nobody can sign in with it.
    """
    user = User.objects.filter(username=INTAKE_USERNAME).first()
    if user is not None:
        return user
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        raise ValidationFailed(message=_("The organisation has no head office yet; run the first-start set-up."))
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=INTAKE_USERNAME,
            defaults={"full_name": "自动受理", "kind": UserKind.STAFF, "org_unit": root},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.set(Group.objects.filter(name="agent"))
            user.additional_units.add(root)
            audit_record(action=AuditAction.CREATE, target=user, changes={"username": [None, INTAKE_USERNAME]})
    return user
