"""Shared kernel: base models, errors, request context, audit trail, demo-data registry."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "aftersales.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from aftersales.core.config_cache import after_migrate

        # A migration may have changed configuration rows without signals; it also creates the generation
        # row on a new database, so that caching starts at once.
        post_migrate.connect(after_migrate, dispatch_uid="core_config_generation")
