"""Likely duplicate works for a curator: merge (keep the older) or dismiss."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html

from works.imports.duplicates import (
    DuplicateDecided,
    work_duplicates_dismiss,
    work_duplicates_merge,
)
from works.models import DuplicateWorkCandidate


@admin.register(DuplicateWorkCandidate)
class DuplicateWorkCandidateAdmin(admin.ModelAdmin):
    list_display = ["pk", "work_a_link", "work_b_link", "year", "reason", "similarity", "status"]
    list_filter = ["status", "reason"]
    list_select_related = ["work_a", "work_b", "decided_by"]
    search_fields = ["work_a__title", "work_b__title"]
    actions = ["merge_keep_older", "dismiss"]
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

    @admin.display(description="Older work (kept)", ordering="work_a")
    def work_a_link(self, obj):
        return _work_label(obj.work_a)

    @admin.display(description="Newer work", ordering="work_b")
    def work_b_link(self, obj):
        if obj.work_b is None:
            return f"(merged: {obj.removed_work.get('title', '')})"
        return _work_label(obj.work_b)

    @admin.display(description="Year")
    def year(self, obj):
        return obj.work_a.year

    @admin.action(description="Merge (keep the older)", permissions=["change"])
    def merge_keep_older(self, request, queryset):
        if not request.user.has_perm("works.delete_work"):
            raise PermissionDenied
        merged, skipped = 0, 0
        for candidate in queryset.filter(status=DuplicateWorkCandidate.Status.OPEN):
            try:
                work_duplicates_merge(candidate=candidate, user=request.user)
                merged += 1
            except DuplicateDecided:
                skipped += 1
        self.message_user(request, f"Merged {merged} pair(s).", messages.SUCCESS)
        if skipped or queryset.exclude(status=DuplicateWorkCandidate.Status.OPEN).exists():
            self.message_user(request, "Pairs decided already were left alone.", messages.WARNING)

    @admin.action(description="Dismiss (not duplicates)", permissions=["change"])
    def dismiss(self, request, queryset):
        dismissed = 0
        for candidate in queryset.filter(status=DuplicateWorkCandidate.Status.OPEN):
            try:
                work_duplicates_dismiss(candidate=candidate, user=request.user)
                dismissed += 1
            except DuplicateDecided:
                pass
        self.message_user(request, f"Dismissed {dismissed} pair(s).", messages.SUCCESS)


def _work_label(work):
    ids = ", ".join(
        f"{name} {value}"
        for name in ("doi", "arxiv_id", "openalex_id")
        if (value := getattr(work, name))
    )
    url = reverse("admin:works_work_change", args=[work.pk])
    return format_html('<a href="{}">{}</a> {}', url, work.title, f"({ids})" if ids else "")
