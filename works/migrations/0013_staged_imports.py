"""Staged imports (works.imports.staged): ImportPart, and StagedRecord as an UNLOGGED table.

PostgreSQL only, beside the models:
- works_work.search_document stops being a generated column and is kept by a trigger with
  the same expression (bz_work_search_document): a part task computes the vectors of its
  works in parallel with the other parts, and the merge writes them as they are; any other
  insert, and any update of a title or abstract, gets it computed by the trigger, as before.
  DROP EXPRESSION keeps the stored values.
- works_stagedrecord is UNLOGGED and carries the staged work's search vector.
- profiles_author had two identical trigram GIN indexes on search_names (profiles 0004 and
  works 0008); every author insert paid for both. The 0004 one goes.
"""

import django.db.models.deletion
from django.db import migrations, models


SEARCH_DOCUMENT = """
    setweight(to_tsvector('english'::regconfig, bz_unaccent(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('english'::regconfig, bz_unaccent(coalesce(abstract, ''))), 'B')
"""
FORWARD = [
    "ALTER TABLE works_stagedrecord SET UNLOGGED",
    "ALTER TABLE works_stagedrecord ADD COLUMN search_document tsvector",
    f"""
    CREATE OR REPLACE FUNCTION bz_work_search_document(title text, abstract text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT {SEARCH_DOCUMENT} $$
    """,
    "ALTER TABLE works_work ALTER COLUMN search_document DROP EXPRESSION",
    """
    CREATE OR REPLACE FUNCTION bz_work_search_document_keep() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- an insert may bring the vector (a staged import computed it); otherwise, and on
        -- any change of title or abstract, it is computed here
        IF NEW.search_document IS NULL
           OR (TG_OP = 'UPDATE' AND (NEW.title IS DISTINCT FROM OLD.title
                                     OR NEW.abstract IS DISTINCT FROM OLD.abstract)) THEN
            NEW.search_document := bz_work_search_document(NEW.title, NEW.abstract);
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER works_work_search_document BEFORE INSERT OR UPDATE ON works_work
    FOR EACH ROW EXECUTE FUNCTION bz_work_search_document_keep()
    """,
    "DROP INDEX IF EXISTS profiles_author_search_trgm",
]
BACKWARD = [
    """
    CREATE INDEX IF NOT EXISTS profiles_author_search_trgm ON profiles_author
    USING gin (search_names gin_trgm_ops)
    """,
    "DROP TRIGGER IF EXISTS works_work_search_document ON works_work",
    "DROP FUNCTION IF EXISTS bz_work_search_document_keep()",
    "ALTER TABLE works_work DROP COLUMN search_document",
    f"""
    ALTER TABLE works_work ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS ({SEARCH_DOCUMENT}) STORED
    """,
    "CREATE INDEX works_work_search_idx ON works_work USING gin (search_document)",
    "DROP FUNCTION IF EXISTS bz_work_search_document(text, text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("works", "0012_work_listing_index_type"),
    ]

    operations = [
        migrations.CreateModel(
            name="StagedRecord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "batch_id",
                        "part",
                        "seq",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("batch_id", models.BigIntegerField()),
                ("part", models.PositiveIntegerField()),
                ("seq", models.PositiveIntegerField()),
                ("record", models.BinaryField(help_text="works.imports.staged.codec")),
            ],
        ),
        migrations.CreateModel(
            name="ImportPart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.PositiveIntegerField(help_text="Order of the part in the batch, from 1"),
                ),
                ("path", models.CharField(max_length=1000)),
                ("start", models.PositiveBigIntegerField(default=0)),
                ("end", models.PositiveBigIntegerField(blank=True, null=True)),
                ("first_line", models.PositiveBigIntegerField(default=1)),
                ("first_index", models.PositiveBigIntegerField(default=1)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("staged", "Staged"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("records_read", models.PositiveIntegerField(default=0)),
                ("records", models.PositiveIntegerField(default=0, help_text="Records staged")),
                (
                    "ignored",
                    models.PositiveIntegerField(default=0, help_text="Record kinds not kept"),
                ),
                ("errors", models.JSONField(blank=True, default=list)),
                ("warnings", models.JSONField(blank=True, default=list)),
                ("staged_at", models.DateTimeField(blank=True, null=True)),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="works.importbatch",
                    ),
                ),
            ],
            options={
                "ordering": ["batch", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("batch", "number"), name="works_importpart_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
