"""Crossref as an import format; Work.cited_by_count NULL where no source gave a count;
title keys of titles with markup and names with invisible characters brought in line with
bzpeer.lib.text.title_key and bzpeer.lib.names.clean_name (issue 11)."""

from django.db import migrations, models
from django.db.models import Q

# Only OpenAlex and Crossref give citation counts: the 0 the others wrote means "unknown".
COUNTLESS_SOURCES = ["arxiv", "bibtex", "seed", ""]
INVISIBLE = "[\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\u2060\ufeff\u061c\u180e]"
CHUNK = 2000


def counts_unknown(apps, schema_editor):
    Work = apps.get_model("works", "Work")
    Work.objects.filter(source__in=COUNTLESS_SOURCES, cited_by_count=0).update(
        cited_by_count=None
    )


def rekey_marked_up_titles(apps, schema_editor):
    from bzpeer.lib.text import title_key

    Work = apps.get_model("works", "Work")
    rows = Work.objects.filter(Q(title__contains="<") | Q(title__contains="&")).only(
        "pk", "title", "title_key"
    )
    changed = []
    for work in rows.iterator(chunk_size=CHUNK):
        key = title_key(work.title)
        if key != work.title_key:
            work.title_key = key
            changed.append(work)
    Work.objects.bulk_update(changed, ["title_key"], batch_size=CHUNK)


def clean_author_names(apps, schema_editor):
    from bzpeer.lib.names import clean_name, normalize_name

    Author = apps.get_model("works", "Author")
    changed = []
    for author in Author.objects.filter(display_name__regex=INVISIBLE).iterator(chunk_size=CHUNK):
        author.display_name = clean_name(author.display_name)
        author.name_key = normalize_name(author.display_name)
        changed.append(author)
    Author.objects.bulk_update(changed, ["display_name", "name_key"], batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [
        ("works", "0007_author_institution_from_profiles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importbatch",
            name="format",
            field=models.CharField(
                choices=[
                    ("auto", "Detect from the file"),
                    ("openalex", "OpenAlex (JSON array or JSON Lines)"),
                    ("arxiv", "arXiv metadata snapshot (JSON Lines)"),
                    ("arxiv-oai", "arXiv OAI-PMH XML (arXiv / arXivRaw)"),
                    ("bibtex", "BibTeX"),
                    ("crossref", "Crossref works (a /works response, a list or JSON Lines)"),
                ],
                default="auto",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="work",
            name="cited_by_count",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(counts_unknown, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(rekey_marked_up_titles, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(clean_author_names, migrations.RunPython.noop, elidable=True),
    ]
