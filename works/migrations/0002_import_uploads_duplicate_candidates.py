# Issue 3 (imports that admins curate): uploaded import files, format choices with
# detection, file size for progress, and the review queue of likely duplicate works.
# Written to hold only these operations; provenance/undo fields come in their own migration.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("works", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="bytes_total",
            field=models.PositiveBigIntegerField(default=0, help_text="Size of the file"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="file",
            field=models.FileField(blank=True, max_length=500, upload_to="imports/%Y/%m/"),
        ),
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
                ],
                default="auto",
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="DuplicateWorkCandidate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("same-title", "same title and year"),
                            ("similar-title", "near-identical title, same year"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "similarity",
                    models.FloatField(default=1.0, help_text="difflib ratio of the title keys"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("merged", "Merged"), ("dismissed", "Dismissed")],
                        default="open",
                        max_length=10,
                    ),
                ),
                (
                    "removed_work",
                    models.JSONField(blank=True, default=dict, help_text="the merged-away work"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "work_a",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="works.work",
                    ),
                ),
                (
                    "work_b",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="works.work",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["status", "-created_at"], name="works_duplicate_status_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("work_a", "work_b"), name="works_duplicate_pair_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("work_b__isnull", True))
                        | models.Q(("work_a__lt", models.F("work_b"))),
                        name="works_duplicate_pair_ordered",
                    ),
                ],
            },
        ),
    ]
