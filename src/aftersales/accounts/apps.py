"""Users, roles, org units, API tokens and sign-in."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from aftersales.accounts.services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "aftersales.accounts"
    label = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self) -> None:
        from django.contrib.auth.models import Group, Permission

        from aftersales.accounts.models import OrgUnit, User
        from aftersales.accounts.selectors import existing_unit_ids, visible_unit_ids
        from aftersales.core.config_cache import watch
        from aftersales.core.scoping import register_unit_provider

        register_unit_provider(visible_unit_ids, existing_unit_ids)
        # Permissions and scope are cached per process (core.config_cache): these changes renew them.
        watch(OrgUnit)
        watch(
            User,
            ignore_fields=("last_login", "password", "preferred_language"),
            m2m=(User.groups.through, User.user_permissions.through, User.additional_units.through),
        )
        watch(Group, m2m=(Group.permissions.through,))
        # Deleting a permission (remove_stale_contenttypes) takes its grants with it, without m2m signals.
        watch(Permission)
        # post_migrate is the one signal we use: groups need the permissions migrate creates.
        # Not filtered by sender: each app's permissions exist only after its own migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts_roles_sync")
