""" "Resume" and "Discard staged parts" for a staged import that stopped before its merge:
a confirmation page, then works.imports.staged.fanout.staged_batch_resume or
works.imports.staged.staged_batch_discard.

Reached from the batch page's buttons (ImportBatchAdmin.resume_view / discard_view).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse

from works.imports.batches import import_batch_progress
from works.imports.staged import staged_batch_discard
from works.imports.staged.fanout import staged_batch_resume
from works.models import ImportBatch

TITLES = {
    "resume": "Resume import batch #{pk}?",
    "discard": "Discard the staged parts of import batch #{pk}?",
}


def staged_confirm(modeladmin, request, batch: ImportBatch, what: str):
    """The confirmation page (GET); resumes or discards on a POST with confirm=yes.

    Returns None once done (or refused), with a message: the caller redirects.
    """
    can_act = batch.status == ImportBatch.Status.RUNNING and batch.parts.exists()
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        if not can_act:
            modeladmin.message_user(
                request,
                f"Batch #{batch.pk} is {batch.get_status_display().lower()}: "
                "only a running staged import can be resumed or discarded.",
                messages.ERROR,
            )
            return None
        try:
            done = _resume(batch) if what == "resume" else _discard(batch, request)
        except ValueError as exc:
            modeladmin.message_user(request, f"Batch #{batch.pk}: {exc}.", messages.ERROR)
            return None
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=[batch], action_flag=CHANGE, change_message=done
        )
        modeladmin.message_user(request, done, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": TITLES[what].format(pk=batch.pk),
        "batch": batch,
        "what": what,
        "can_act": can_act,
        "parts": import_batch_progress(batch=batch)["parts"],
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/works/importbatch/staged_confirmation.html", context)


def _resume(batch: ImportBatch) -> str:
    queued = staged_batch_resume(batch)
    if not queued:
        return f"Batch #{batch.pk} resumed: every part is staged, its merge is queued."
    return f"Batch #{batch.pk} resumed: {queued} part{pluralize(queued)} queued to be staged."


def _discard(batch: ImportBatch, request) -> str:
    staged_batch_discard(batch, by=request.user.get_username())
    return f"Batch #{batch.pk} discarded: staged parts deleted, nothing was imported."
