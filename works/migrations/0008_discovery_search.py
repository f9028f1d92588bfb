"""Search indexes (PostgreSQL only; SQLite's search is a plain icontains, see works/search.py).

- unaccent and pg_trgm, and bz_unaccent(): unaccent() is only STABLE (its dictionary could
  change), so an index cannot use it; this wrapper names the dictionary and is declared
  IMMUTABLE, which is what PostgreSQL's documentation suggests for indexing.
- works_work.search_document: a stored generated tsvector, title weighted A and abstract B,
  so ranking reads the stored vector instead of re-parsing every matched abstract. The model
  does not declare it (SQLite has no tsvector): works/search.py names it in SQL.
- works_venue: an expression GIN index over the venue name (weight C at query time; a
  generated column cannot read another table).
- profiles_author.search_names (already lower-case and accent-free): a trigram GIN index for
  the words of a name (LIKE) and the initials regex ("M. Song"), and a trigram GiST index
  for typos ("Mingli Sng"): nearest names by word similarity (ORDER BY <->> LIMIT), which
  GIN cannot order by; the `%>` threshold operator alone is estimated so loosely that
  PostgreSQL scans the table instead.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION bz_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    """
    ALTER TABLE works_work ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, bz_unaccent(coalesce(title, ''))), 'A')
        || setweight(to_tsvector('english'::regconfig, bz_unaccent(coalesce(abstract, ''))), 'B')
    ) STORED
    """,
    "CREATE INDEX works_work_search_idx ON works_work USING gin (search_document)",
    """
    CREATE INDEX works_venue_search_idx ON works_venue
    USING gin ((to_tsvector('english'::regconfig, bz_unaccent(name))))
    """,
    """
    CREATE INDEX profiles_author_search_trgm_idx ON profiles_author
    USING gin (search_names gin_trgm_ops)
    """,
    """
    CREATE INDEX profiles_author_search_knn_idx ON profiles_author
    USING gist (search_names gist_trgm_ops)
    """,
]
BACKWARD = [
    "DROP INDEX IF EXISTS profiles_author_search_knn_idx",
    "DROP INDEX IF EXISTS profiles_author_search_trgm_idx",
    "DROP INDEX IF EXISTS works_venue_search_idx",
    "DROP INDEX IF EXISTS works_work_search_idx",
    "ALTER TABLE works_work DROP COLUMN IF EXISTS search_document",
    "DROP FUNCTION IF EXISTS bz_unaccent(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("works", "0007_author_institution_from_profiles")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
