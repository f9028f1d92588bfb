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
from django.db.models import Func, IntegerField
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from works.imports.batches import import_batch_progress
from works.imports.detect import SNIFF_BYTES, FormatUnknown, sniff_format
from works.imports.loader import ENTITY_KINDS
from works.models import BatchChange, ImportBatch, ImportPart
from works.tasks import import_batch_enqueue_on_commit

from .staged import staged_confirm
from .undo import undo_confirm, undo_import_batch

UPLOAD_FIELDS = ["file", "format", "skip_bad"]
# What the batch page shows as fields: none is editable, and none repeats the status block
# (status, records read, counts, errors: the live fragment _progress.html shows those).
BATCH_FIELDS = [
    "file_name",
    "uploaded_file",
    "format",
    "skip_bad",
    "bytes_total",
    "created_by",
    "created_at",
    "undone_at",
    "undone_by",
]
ERRORS_SHOWN = 500
# a split snapshot can have thousands of parts: the page lists the first ones
PARTS_SHOWN = 200


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
        return UPLOAD_FIELDS if obj is None else BATCH_FIELDS

    def get_readonly_fields(self, request, obj=None):
        # a batch is written by its run and its undo, never by hand
        return [] if obj is None else BATCH_FIELDS

    @admin.display(description="Uploaded file")
    def uploaded_file(self, obj: ImportBatch):
        if not obj.file:
            return "- (imported from a path on the server)"
        url = reverse("admin:works_importbatch_download", args=[obj.pk])
        return format_html('<a href="{}">Download {}</a>', url, obj.file_name)

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
            extra_context = {
                **batch_progress_context(batch),
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
                "can_undo": batch.status == ImportBatch.Status.SUCCEEDED,
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="works_importbatch_progress",
            ),
            path(
                "<int:pk>/file/",
                self.admin_site.admin_view(self.download_view),
                name="works_importbatch_download",
            ),
            path(
                "<int:pk>/undo/",
                self.admin_site.admin_view(self.undo_view),
                name="works_importbatch_undo",
            ),
            path(
                "<int:pk>/resume/",
                self.admin_site.admin_view(self.resume_view),
                name="works_importbatch_resume",
            ),
            path(
                "<int:pk>/discard/",
                self.admin_site.admin_view(self.discard_view),
                name="works_importbatch_discard",
            ),
        ]
        return own + super().get_urls()

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The uploaded file, to staff who may see the batch (media is not served publicly)."""
        batch = get_object_or_404(ImportBatch, pk=pk)
        if not (request.user.is_staff and self.has_view_permission(request, batch)):
            raise PermissionDenied
        if not batch.file:
            raise Http404("This batch was imported from a path on the server, not uploaded.")
        try:
            handle = batch.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The uploaded file is no longer stored.") from exc
        name = batch.file_name.rsplit("/", 1)[-1]
        return FileResponse(handle, as_attachment=True, filename=name)

    def undo_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(ImportBatch, pk=pk)
        if not self.has_change_permission(request, batch):
            raise PermissionDenied
        response = undo_confirm(self, request, batch)
        return response or redirect("admin:works_importbatch_change", batch.pk)

    def resume_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._staged_view(request, pk, "resume")

    def discard_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._staged_view(request, pk, "discard")

    def _staged_view(self, request: HttpRequest, pk: int, what: str) -> HttpResponse:
        batch = get_object_or_404(ImportBatch, pk=pk)
        if not self.has_change_permission(request, batch):
            raise PermissionDenied
        response = staged_confirm(self, request, batch, what)
        return response or redirect("admin:works_importbatch_change", batch.pk)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a batch throws its undo log away: refused while the batch could be undone
        # (or runs); an undone or failed batch can go.
        if obj is not None and obj.status in (
            ImportBatch.Status.PENDING,
            ImportBatch.Status.RUNNING,
            ImportBatch.Status.SUCCEEDED,
        ):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through the rule above
        return actions

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(ImportBatch, pk=pk)
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        context = batch_progress_context(batch)
        return render(request, "admin/works/importbatch/_progress.html", context)


def batch_progress_context(batch: ImportBatch) -> dict:
    """The status block's numbers, all from one read of the batch so that they agree.

    `import_errors`, not `errors`: the admin change form has its own `errors` (the form's),
    and a non-empty one there shows "Please correct the error below."
    """
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
    ran = batch.status in (ImportBatch.Status.SUCCEEDED, ImportBatch.Status.UNDONE)
    progress = import_batch_progress(batch=batch)
    duplicates_open = 0
    if batch.status == ImportBatch.Status.SUCCEEDED and counts.get("duplicates_found"):
        duplicates_open = counts["duplicates_found"]
    return {
        "batch": batch,
        "progress": progress,
        "parts": _parts_shown(batch) if progress["parts"] else [],
        # resume / discard: a staged import that is still running (stalled, or crashed)
        "can_resume": bool(progress["parts"]) and batch.status == ImportBatch.Status.RUNNING,
        "count_rows": rows if counts else [],
        "skipped": len(errors) if ran else 0,
        "duplicates_open": duplicates_open,
        "import_errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
        # what parsers dropped from records that were imported (bad ORCIDs, malformed ids)
        "warnings": counts.get("warnings", [])[:ERRORS_SHOWN],
        "warnings_hidden": max(
            0, counts.get("warnings_total", 0) - min(ERRORS_SHOWN, len(counts.get("warnings", [])))
        ),
    }


def _parts_shown(batch: ImportBatch) -> list[dict]:
    parts = ImportPart.objects.filter(batch_id=batch.pk).order_by("number")[:PARTS_SHOWN]
    return [
        {
            "number": part.number,
            "file": part.path.rsplit("/", 1)[-1],
            "path": part.path,
            "range": "whole file" if part.end is None else f"bytes {part.start}–{part.end}",
            "status": part.get_status_display(),
            "records": part.records,
            "errors": part.errors_count,
        }
        for part in parts.defer("errors", "warnings").annotate(
            # counted by the database: a part keeps up to a thousand errors, polled each second
            errors_count=Func("errors", function="jsonb_array_length", output_field=IntegerField())
        )
    ]


@admin.register(ImportBatch)
class ImportBatchAdmin(ImportBatchUploadMixin, admin.ModelAdmin):
    change_list_template = "admin/works/importbatch/change_list.html"
    list_display = ["file_name", "format", "status", "records_read", "created_by", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]
    actions = [undo_import_batch]


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
