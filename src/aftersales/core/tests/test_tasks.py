"""The kernel's periodic jobs."""

from __future__ import annotations


def test_the_nightly_statistics_job_analyses_the_database(db):
    from django.db import connection

    from aftersales.core.tasks import database_statistics

    assert database_statistics.call_local() == connection.vendor
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
