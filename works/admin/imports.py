"""Admin for imports: upload a file as an ImportBatch, watch it run, see what it changed.

The upload form saves the batch and queues `works.tasks.import_batch_run` once the admin's
transaction commits; the batch page polls a small fragment view every second (htmx) while the
batch is pending or running and stops when it is done.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse

from works.imports.batches import import_batch_progress
from works.imports.detect import SNIFF_BYTES, FormatUnknown, sniff_format
from works.imports.loader import ENTITY_KINDS
from works.models import BatchChange, ImportBatch
from works.tasks import import_batch_enqueue_on_commit

from .undo import undo_import_batch

UPLOAD_FIELDS = ["file", "format", "skip_bad"]
ERRORS_SHOWN = 500


class ImportUploadForm(forms.ModelForm):
    class Meta:
        model = ImportBatch
        fields = UPLOAD_FIELDS
        labels = {"skip_bad": "Skip bad records"}
        help_texts = {
            "skip_bad": "Import the good records and list every bad one. Off: one bad record "
            "and nothing is imported.",
            "format": "“Detect from the file” reads its first bytes (gzip is fine).",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].required = True
        limit = filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)
        self.fields["file"].help_text = (
            f"OpenAlex JSON / JSON Lines, arXiv snapshot JSON Lines, arXiv OAI-PMH XML or "
            f"BibTeX, plain or gzipped; at most {limit}."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is {filesizeformat(upload.size)}; uploads are limited to "
                f"{filesizeformat(limit)} (setting IMPORT_MAX_UPLOAD_BYTES). Split the file, "
                "or import it on the server with manage.py import_works.",
                code="too_large",
            )
        if upload.size == 0:
            raise ValidationError("The file is empty.", code="empty")
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and cleaned.get("format") == ImportBatch.Format.AUTO:
            upload.seek(0)
            head = upload.read(SNIFF_BYTES)
            upload.seek(0)
            try:
                sniff_format(head)
            except FormatUnknown as exc:
                self.add_error("format", f"Cannot tell the format: {exc}. Choose it here.")
        return cleaned


class ImportBatchUploadMixin:
    """The upload (add) form, the enqueueing, and the live progress on the batch page."""

    change_form_template = "admin/works/importbatch/change_form.html"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ImportUploadForm
            kwargs["fields"] = UPLOAD_FIELDS
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return UPLOAD_FIELDS
        # counts, errors and the merge report are shown as tables by the progress fragment
        shown = ("counts", "errors", "conflicts", "merged_records")
        return [f for f in super().get_fields(request, obj) if f not in shown]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        own = ["file_name", "file", "format", "skip_bad", "bytes_total"]
        return own + [f for f in super().get_readonly_fields(request, obj) if f not in own]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
            obj.file_name = obj.file.name[:500]
            obj.bytes_total = obj.file.size
        super().save_model(request, obj, form, change)
        if not change:
            import_batch_enqueue_on_commit(obj.pk)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Import of {obj.file_name} queued.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:works_importbatch_change", args=[obj.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {"title": "Upload import", **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        if batch is not None:
            extra_context = {**batch_progress_context(batch), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        progress = path(
            "<int:pk>/progress/",
            self.admin_site.admin_view(self.progress_view),
            name="works_importbatch_progress",
        )
        return [progress, *super().get_urls()]

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(ImportBatch, pk=pk)
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        context = batch_progress_context(batch)
        return render(request, "admin/works/importbatch/_progress.html", context)


def batch_progress_context(batch: ImportBatch) -> dict:
    counts = batch.counts or {}
    rows = [
        {
            "kind": kind,
            "created": counts.get("created", {}).get(kind, 0),
            "updated": counts.get("updated", {}).get(kind, 0),
            "unchanged": counts.get("unchanged", {}).get(kind, 0),
        }
        for kind in ENTITY_KINDS
    ]
    errors = batch.errors or []
    return {
        "batch": batch,
        "progress": import_batch_progress(batch=batch),
        "count_rows": rows if counts else [],
        "skipped": len(errors) if batch.status == ImportBatch.Status.SUCCEEDED else 0,
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
    }


@admin.register(ImportBatch)
class ImportBatchAdmin(ImportBatchUploadMixin, admin.ModelAdmin):
    list_display = ["file_name", "format", "status", "records_read", "created_by", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]
    actions = [undo_import_batch]
    readonly_fields = [
        "status",
        "records_read",
        "counts",
        "errors",
        "conflicts",
        "merged_records",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]


@admin.register(BatchChange)
class BatchChangeAdmin(admin.ModelAdmin):
    """What each import batch changed, kept for undo: read-only."""

    list_display = ["batch", "action", "model", "object_pk"]
    list_filter = ["action", "model"]
    search_fields = ["=batch__id", "=object_pk"]
    raw_id_fields = ["batch"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
