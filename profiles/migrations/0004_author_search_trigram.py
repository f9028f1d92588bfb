"""PostgreSQL only: a trigram index for the home page search.

The search is `search_names LIKE '%word%'` (AuthorQuerySet.search), one condition per word;
a B-tree cannot serve a leading wildcard, a pg_trgm GIN index can. SQLite, the embedded
default, has no such index type: there the migration does nothing.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # query: Author.objects.search(q) -> WHERE search_names LIKE '%word%' [AND ...]
    "CREATE INDEX IF NOT EXISTS profiles_author_search_trgm "
    "ON profiles_author USING gin (search_names gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS profiles_author_search_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("profiles", "0003_dirty_author")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
