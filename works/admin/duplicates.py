"""Likely duplicate works for a curator: review the pair side by side, then merge (keeping
the work the curator chooses), dismiss, or undo an earlier merge."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from works.imports.duplicates import (
    DuplicateDecided,
    work_duplicates_dismiss,
    work_duplicates_merge,
    work_duplicates_unmerge,
)
from works.models import Authorship, DuplicateWorkCandidate, Work

ABSTRACT_SHOWN = 800


class PairDecisionForm(forms.Form):
    MERGE, DISMISS, UNMERGE = "merge", "dismiss", "unmerge"
    decision = forms.ChoiceField(
        choices=[(MERGE, "Merge"), (DISMISS, "Dismiss"), (UNMERGE, "Unmerge")],
        widget=forms.HiddenInput,
    )
    keep = forms.IntegerField(required=False)
    reason = forms.CharField(max_length=255, help_text="Goes into Recent actions and the pair.")

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.MERGE and not data.get("keep"):
            self.add_error("keep", "Choose the work to keep.")
        return data


@admin.register(DuplicateWorkCandidate)
class DuplicateWorkCandidateAdmin(admin.ModelAdmin):
    list_display = ["pk", "work_a_link", "work_b_link", "year", "reason", "similarity", "status"]
    list_display_links = None
    list_filter = ["status", "reason"]
    list_select_related = ["work_a", "work_b", "decided_by"]
    search_fields = ["work_a__title", "work_b__title"]
    actions = ["dismiss"]
    readonly_fields = [
        "work_a",
        "work_b",
        "reason",
        "similarity",
        "status",
        "removed_work",
        "created_at",
        "decided_by",
        "decided_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        review = path(
            "<int:pk>/review/",
            self.admin_site.admin_view(self.review_view),
            name="works_duplicateworkcandidate_review",
        )
        return [review, *super().get_urls()]

    @admin.display(description="Work (kept on merge: you choose)", ordering="work_a")
    def work_a_link(self, obj):
        review = reverse("admin:works_duplicateworkcandidate_review", args=[obj.pk])
        return format_html(
            '{} <a href="{}">Review side by side »</a>', _work_label(obj.work_a), review
        )

    @admin.display(description="Other work", ordering="work_b")
    def work_b_link(self, obj):
        if obj.work_b is None:
            return f"(merged: {obj.removed_work.get('title', '')})"
        return _work_label(obj.work_b)

    @admin.display(description="Year")
    def year(self, obj):
        return obj.work_a.year

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        candidate = get_object_or_404(
            DuplicateWorkCandidate.objects.select_related("work_a", "work_b"), pk=pk
        )
        if not self.has_change_permission(request, candidate):
            raise PermissionDenied
        form = PairDecisionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data["decision"] != PairDecisionForm.DISMISS and not (
                request.user.has_perm("works.delete_work")
            ):
                raise PermissionDenied  # merging deletes a work, unmerging brings one back
            try:
                done = self._decide(request, candidate, data)
            except DuplicateDecided as exc:
                form.add_error(None, str(exc))
            else:
                candidate.refresh_from_db()
                LogEntry.objects.log_actions(
                    user_id=request.user.pk,
                    queryset=[candidate],
                    action_flag=CHANGE,
                    change_message=f"{done} Reason: {data['reason']}",
                )
                messages.success(request, done)
                return redirect("admin:works_duplicateworkcandidate_review", candidate.pk)
        works = [w for w in (candidate.work_a, candidate.work_b) if w is not None]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Likely duplicates: pair #{candidate.pk}",
            "candidate": candidate,
            "sides": [_work_side(w) for w in works],
            "removed": candidate.removed_work,
            "can_unmerge": "snapshot" in (candidate.removed_work or {}),
            "form": form,
        }
        return TemplateResponse(request, "admin/works/duplicateworkcandidate/review.html", context)

    def _decide(self, request, candidate, data) -> str:
        if data["decision"] == PairDecisionForm.DISMISS:
            work_duplicates_dismiss(candidate=candidate, user=request.user)
            return f"Pair #{candidate.pk} dismissed: not duplicates."
        if data["decision"] == PairDecisionForm.UNMERGE:
            work = work_duplicates_unmerge(candidate=candidate, user=request.user)
            return f"Pair #{candidate.pk} unmerged: work #{work.pk} is back."
        keep = Work.objects.filter(pk=data["keep"]).first()
        if keep is None:
            raise DuplicateDecided("the work to keep no longer exists")
        kept = work_duplicates_merge(
            candidate=candidate, user=request.user, keep=keep, reason=data["reason"]
        )
        return f"Pair #{candidate.pk} merged into work #{kept.pk}."

    @admin.action(description="Dismiss (not duplicates)", permissions=["change"])
    def dismiss(self, request, queryset):
        dismissed = []
        for candidate in queryset.filter(status=DuplicateWorkCandidate.Status.OPEN):
            try:
                work_duplicates_dismiss(candidate=candidate, user=request.user)
                dismissed.append(candidate)
            except DuplicateDecided:
                pass
        if dismissed:
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=dismissed,
                action_flag=CHANGE,
                change_message="Dismissed: not duplicates.",
            )
        self.message_user(request, f"Dismissed {len(dismissed)} pair(s).", messages.SUCCESS)


def _work_label(work):
    ids = ", ".join(
        f"{name} {value}"
        for name in ("doi", "arxiv_id", "openalex_id")
        if (value := getattr(work, name))
    )
    url = reverse("admin:works_work_change", args=[work.pk])
    return format_html('<a href="{}">{}</a> {}', url, work.title, f"({ids})" if ids else "")


def _work_side(work: Work) -> dict:
    """What a curator compares: byline, venue, year, abstract, ids, where it came from."""
    byline = (
        Authorship.objects.filter(work=work)
        .select_related("author")
        .order_by("position")
        .only("raw_author_name", "author__display_name", "author__slug", "position")
    )
    return {
        "work": work,
        "venue": work.venue.name if work.venue_id else "",
        "byline": list(byline),
        "abstract": work.abstract[:ABSTRACT_SHOWN],
        "abstract_cut": len(work.abstract) > ABSTRACT_SHOWN,
        "ids": [
            (label, value)
            for label, value in (
                ("DOI", work.doi),
                ("arXiv", work.arxiv_id),
                ("OpenAlex", work.openalex_id),
            )
            if value
        ],
    }
