"""Data import and export (数据导入导出)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "aftersales.exchange"
    label = "exchange"
    verbose_name = _("Data import and export")

    def ready(self) -> None:
        # The services schedule the Huey tasks after commit; the tasks call the services. The tasks
        # register themselves here so that neither module imports the other at load time.
        from aftersales.exchange import services, tasks

        services.register_job_queue(validate=tasks.import_job_validate, commit=tasks.import_job_commit)
