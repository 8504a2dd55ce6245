"""PostgreSQL: the request number's `varchar_pattern_ops` index goes. Numbers are looked up whole (the
unique index) or found through the search document; the admin's search is `UPPER(…) LIKE '%…%'`, which
that index cannot serve. Every create wrote it."""

from django.db import migrations

from aftersales.core.migration_sql import postgresql_like_indexes


class Migration(migrations.Migration):
    dependencies = [("service", "0008_lead_indexes")]

    operations = [postgresql_like_indexes("service", "servicerequest", ["number"])]
