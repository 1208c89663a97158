"""Search that holds at a million complaints (issue 15), PostgreSQL only.

- `search_document`: the Dutch text-search vector of the complaint's text and
  service, stored (a generated column, so every write keeps it current) and
  indexed with GIN; it replaces the expression index of 0002, which made
  PostgreSQL compute the vector again for every row it checked. The model does
  not know the column: `selectors.search` names it, and SQLite has none.
- Trigram indexes (pg_trgm) for the name, organisation and reference searches,
  on the expression Django's `icontains` writes (UPPER(column::text)).

The GIN indexes keep a pending list of new entries that every search reads
through; it is limited to 1 MB (the default is 4 MB), so a burst of intakes never
makes searches slow until the next vacuum.

SQLite keeps its simple fallback (LIKE over the columns).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE complaints_complaint ADD COLUMN IF NOT EXISTS search_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('dutch'::regconfig, "
    "COALESCE(substantiation, '') || ' ' || COALESCE(service, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS complaint_search_nl ON complaints_complaint "
    "USING gin (search_document) WITH (gin_pending_list_limit = 1024)",
    "DROP INDEX IF EXISTS complaint_fulltext_nl",
    "CREATE INDEX IF NOT EXISTS complaint_name_trgm ON complaints_complaint "
    "USING gin (UPPER(complainant_name::text) gin_trgm_ops) WITH (gin_pending_list_limit = 1024)",
    "CREATE INDEX IF NOT EXISTS complaint_organisation_trgm ON complaints_complaint "
    "USING gin (UPPER(complainant_organisation::text) gin_trgm_ops) WITH (gin_pending_list_limit = 1024)",
    "CREATE INDEX IF NOT EXISTS complaint_reference_trgm ON complaints_complaint "
    "USING gin (UPPER(reference::text) gin_trgm_ops) WITH (gin_pending_list_limit = 1024)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS complaint_reference_trgm",
    "DROP INDEX IF EXISTS complaint_organisation_trgm",
    "DROP INDEX IF EXISTS complaint_name_trgm",
    "DROP INDEX IF EXISTS complaint_search_nl",
    "ALTER TABLE complaints_complaint DROP COLUMN IF EXISTS search_document",
    "CREATE INDEX IF NOT EXISTS complaint_fulltext_nl ON complaints_complaint USING gin "
    "(to_tsvector('dutch'::regconfig, COALESCE(substantiation, '') || ' ' || "
    "COALESCE(service, '')))",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0009_extension_notice")]

    operations = [migrations.RunPython(forward, backward)]
