"""A Dutch full-text index for the work list's search (PostgreSQL only).

The expression is the one `selectors.search` builds with
SearchVector("substantiation", "service", config="dutch"), so the planner uses it.
"""

from django.db import migrations

INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS complaint_fulltext_nl ON complaints_complaint USING gin "
    "(to_tsvector('dutch'::regconfig, COALESCE(substantiation, '') || ' ' || "
    "COALESCE(service, '')))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS complaint_fulltext_nl")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
