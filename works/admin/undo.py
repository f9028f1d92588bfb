""" "Undo this batch": a confirmation page, then imports.undo.import_batch_undo.

Reached from the batch page's button (ImportBatchAdmin.undo_view) or the list's action.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse

from bzpeer.lib.db import without_statement_timeout
from works.imports.undo import BatchUndoRefused, import_batch_undo
from works.models import BatchChange, ImportBatch


def _require_undo_permission(request) -> None:
    # Undo deletes works and authors: the admin must be allowed to delete those too.
    if not (
        request.user.has_perm("works.delete_work") and request.user.has_perm("works.delete_author")
    ):
        raise PermissionDenied


@admin.action(description="Undo this batch", permissions=["change"])
def undo_import_batch(modeladmin, request, queryset):
    _require_undo_permission(request)
    batches = list(queryset[:2])
    if len(batches) != 1:
        modeladmin.message_user(request, "Choose one batch to undo at a time.", messages.WARNING)
        return None
    return undo_confirm(modeladmin, request, batches[0], from_action=True)


def undo_confirm(modeladmin, request, batch: ImportBatch, *, from_action: bool = False):
    """The confirmation page (GET, or the action's first POST); undoes on confirm=yes.

    Returns None once done (or refused), with a message: the caller redirects.
    """
    _require_undo_permission(request)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            # As long as the import took to write, not the web statement_timeout.
            with without_statement_timeout():
                result = import_batch_undo(batch=batch, user=request.user)
        except BatchUndoRefused as exc:
            modeladmin.message_user(
                request, f"Batch #{batch.pk} was not undone: {exc}", messages.ERROR
            )
            return None
        done = f"Batch #{batch.pk} undone: {result.summary()}."
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=[batch], action_flag=CHANGE, change_message=done
        )
        modeladmin.message_user(request, done, messages.SUCCESS)
        return None
    changes = (
        BatchChange.objects.filter(batch=batch)
        .values("model", "action")
        .annotate(n=Count("pk"))
        .order_by("model", "action")
    )
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Undo import batch #{batch.pk}?",
        "batch": batch,
        "changes": [{**row, "action": BatchChange.Action(row["action"]).label} for row in changes],
        "can_undo": batch.status == ImportBatch.Status.SUCCEEDED,
        "opts": modeladmin.model._meta,
        "from_action": from_action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": "undo_import_batch",
    }
    return TemplateResponse(request, "admin/works/importbatch/undo_confirmation.html", context)
