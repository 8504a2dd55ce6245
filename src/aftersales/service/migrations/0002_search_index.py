"""The full-text index over SearchDocument: FTS5 on SQLite (kept in step by triggers), GIN on PostgreSQL."""

from django.db import migrations

from aftersales.core.migration_sql import vendor_sql

SQLITE = [
    "CREATE VIRTUAL TABLE service_fts USING fts5(body, content='service_searchdocument', "
    "content_rowid='request_id', tokenize='unicode61')",
    """CREATE TRIGGER service_fts_ai AFTER INSERT ON service_searchdocument BEGIN
         INSERT INTO service_fts(rowid, body) VALUES (new.request_id, new.body); END""",
    """CREATE TRIGGER service_fts_ad AFTER DELETE ON service_searchdocument BEGIN
         INSERT INTO service_fts(service_fts, rowid, body) VALUES ('delete', old.request_id, old.body); END""",
    """CREATE TRIGGER service_fts_au AFTER UPDATE ON service_searchdocument BEGIN
         INSERT INTO service_fts(service_fts, rowid, body) VALUES ('delete', old.request_id, old.body);
         INSERT INTO service_fts(rowid, body) VALUES (new.request_id, new.body); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS service_fts_au",
    "DROP TRIGGER IF EXISTS service_fts_ad",
    "DROP TRIGGER IF EXISTS service_fts_ai",
    "DROP TABLE IF EXISTS service_fts",
]
POSTGRES = [
    "ALTER TABLE service_searchdocument ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "CREATE INDEX service_searchdocument_tsv ON service_searchdocument USING gin (tsv)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS service_searchdocument_tsv",
    "ALTER TABLE service_searchdocument DROP COLUMN IF EXISTS tsv",
]


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [
        migrations.RunPython(
            vendor_sql({"sqlite": SQLITE, "postgresql": POSTGRES}),
            vendor_sql({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
