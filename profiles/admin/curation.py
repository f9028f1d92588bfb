"""Admin actions that curate authors (merge, move or remove authorships), and their audit log.

Each shows an intermediate page (a form, CSRF-protected, POSTed back to the changelist
action) and calls a service in profiles.curation; permissions are checked here, on the
server, before anything is shown or done.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from works.models import Author, VerificationLevel

from ..curation import (
    CurationError,
    authors_merge,
    authorships_remove,
    authorships_split,
    id_conflicts,
)
from ..models import AuthorAuditLog

MAX_MERGE = 20


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Author.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    reason = forms.CharField(max_length=255, help_text="Goes into the audit log.")
    override_ids = forms.BooleanField(
        required=False,
        label="Merge although their persistent ids differ",
        help_text="Only when you are sure they are one person; the reason says why.",
    )

    def __init__(self, *args, authors, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = authors


class MoveForm(forms.Form):
    to_author = forms.CharField(
        required=False,
        label="Move to author",
        help_text="Id or slug of an existing author; leave empty to create a new author.",
    )
    reason = forms.CharField(max_length=255, help_text="Goes into the audit log.")

    def clean_to_author(self) -> Author | None:
        value = self.cleaned_data["to_author"].strip()
        if not value:
            return None
        lookup = Q(slug=value) | (Q(pk=int(value)) if value.isdigit() else Q())
        author = Author.objects.filter(lookup).first()
        if author is None:
            raise forms.ValidationError("No author has this id or slug.")
        if author.merged_into_id:
            raise forms.ValidationError("This author was merged into another; choose that one.")
        return author


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Goes into the audit log.")


class SetLevelForm(forms.Form):
    level = forms.TypedChoiceField(
        choices=VerificationLevel.choices,
        coerce=int,
        help_text="Unclaimed records: L0 or L1. L2-L4 come with an approved claim.",
    )
    evidence = forms.CharField(max_length=255, required=False, label="Evidence shown")
    reason = forms.CharField(max_length=255, help_text="Goes into the audit log.")


def log_decision(request, obj, message: str) -> None:
    """The decision in admin's "Recent actions" (LogEntry), beside the audit log entry."""
    LogEntry.objects.log_actions(
        user_id=request.user.pk, queryset=[obj], action_flag=CHANGE, change_message=message
    )


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(p) for p in perms):
        raise PermissionDenied


def _page(modeladmin, request, queryset, template: str, title: str, action: str, **extra):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": action,
        **extra,
    }
    return TemplateResponse(request, template, context)


@admin.action(description="Merge selected authors", permissions=["change"])
def merge_authors(modeladmin, request, queryset):
    _require(request, "works.change_author", "works.change_authorship")
    authors = queryset.filter(merged_into__isnull=True).annotate(works=Count("authorships"))
    if not 2 <= len(authors[: MAX_MERGE + 1]) <= MAX_MERGE:
        modeladmin.message_user(
            request,
            f"Choose between 2 and {MAX_MERGE} authors that are not merged already.",
            messages.WARNING,
        )
        return None
    data = request.POST if request.POST.get("confirm") == "yes" else None
    form = MergeForm(data, authors=authors)
    result = None
    if form.is_valid():
        keep = form.cleaned_data["keep"]
        others = [a for a in authors if a.pk != keep.pk]
        try:
            result = authors_merge(
                keep=keep,
                others=others,
                user=request.user,
                reason=form.cleaned_data["reason"],
                override_ids=form.cleaned_data["override_ids"],
            )
        except CurationError as exc:
            form.add_error(None, f"Not merged: {exc}")
            result = None
    if result is not None:
        modeladmin.message_user(
            request,
            f"Merged {len(others)} author(s) into {result.author}: {result.authorships} "
            f"authorship(s), {result.follows} follow(s), {result.claims} claim(s) moved.",
            messages.SUCCESS,
        )
        log_decision(request, result.author, f"Merged {', '.join(map(str, others))} into it")
        return None
    if data is None:
        best = max(authors, key=lambda a: (a.verification_level, a.works, -a.pk))
        form = MergeForm(initial={"keep": best.pk}, authors=authors)
    return _page(
        modeladmin,
        request,
        authors,
        "admin/profiles/author/merge_confirmation.html",
        "Merge authors: which one stays?",
        "merge_authors",
        form=form,
        conflicts=id_conflicts(authors),
    )


@admin.action(description="Move to another/new author", permissions=["change"])
def move_authorships(modeladmin, request, queryset):
    _require(request, "works.change_authorship", "works.add_author")
    queryset = queryset.select_related("author", "work")
    data = request.POST if request.POST.get("confirm") == "yes" else None
    form = MoveForm(data)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            result = authorships_split(
                authorships=list(queryset.order_by("work__year", "pk")),
                to_author=form.cleaned_data["to_author"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except CurationError as exc:
            modeladmin.message_user(request, f"Not moved: {exc}", messages.ERROR)
            return None
        made = "new author " if result.created else ""
        log_decision(
            request, result.author, f"{result.authorships} authorship(s) moved here: {reason}"
        )
        modeladmin.message_user(
            request,
            f"Moved {result.authorships} authorship(s) to {made}{result.author}.",
            messages.SUCCESS,
        )
        return None
    return _page(
        modeladmin,
        request,
        queryset,
        "admin/works/authorship/move.html",
        "Move authorships to another or a new author",
        "move_authorships",
        form=form,
    )


@admin.action(description="Remove authorship (never re-imported)", permissions=["delete"])
def remove_authorships(modeladmin, request, queryset):
    _require(request, "works.delete_authorship")
    queryset = queryset.select_related("author", "work")
    data = request.POST if request.POST.get("confirm") == "yes" else None
    form = ReasonForm(data)
    if form.is_valid():
        try:
            removed = authorships_remove(
                authorships=list(queryset), user=request.user, reason=form.cleaned_data["reason"]
            )
        except CurationError as exc:
            modeladmin.message_user(request, f"Not removed: {exc}", messages.ERROR)
            return None
        modeladmin.message_user(request, f"Removed {removed} authorship(s).", messages.SUCCESS)
        return None
    return _page(
        modeladmin,
        request,
        queryset,
        "admin/works/authorship/remove.html",
        "Remove authorships for good?",
        "remove_authorships",
        form=form,
    )


@admin.register(AuthorAuditLog)
class AuthorAuditLogAdmin(admin.ModelAdmin):
    """Every identity decision: who, what, before and after, in words. Nobody edits history."""

    list_display = ["created_at", "actor", "action", "author_link", "other_link", "changes"]
    list_filter = ["action"]
    list_select_related = ["author", "other_author", "actor"]
    search_fields = ["author__display_name", "other_author__display_name", "actor__username"]
    fields = [
        "created_at",
        "actor",
        "action",
        "author",
        "other_author",
        "reason",
        "changes",
        "undone_by",
        "what_moved",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Author", ordering="author__display_name")
    def author_link(self, obj: AuthorAuditLog):
        return _author_link(obj.author)

    @admin.display(description="Other author")
    def other_link(self, obj: AuthorAuditLog):
        return _author_link(obj.other_author)

    @admin.display(description="What moved")
    def what_moved(self, obj: AuthorAuditLog):
        lines = [line for k, v in obj.details.items() if (line := _detail_words(k, v))]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "-"

    @admin.display(description="What changed")
    def changes(self, obj: AuthorAuditLog):
        lines = obj.changes_in_words()
        if obj.reason:
            lines.append(f"Reason: {obj.reason}")
        if obj.undone_by_id:
            lines.append("Unmerged since.")
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "-"


DETAIL_WORDS = {
    "authorships": "authorships moved",
    "works": "works",
    "follows_moved": "follows moved",
    "follows_dropped": "follows merged (the user followed both)",
    "claims": "claims moved",
    "overrides": "byline decisions re-pointed",
    "chained": "earlier merges re-pointed",
    "ids_moved": "ids taken by the kept author",
    "names_added": "names added",
    "fields_filled": "fields filled from it",
    "override_ids": "different persistent ids, merged on the admin's word",
    "new_author": "moved to a new author",
    "names": "printed names",
    "claim": "claim",
    "route": "claim route",
    "reason_code": "reason code",
    "merge": "undid merge entry",
    "claims_back": "claims moved back",
}


def _detail_words(key: str, value) -> str:
    label = DETAIL_WORDS.get(key, key.replace("_", " "))
    if isinstance(value, list):
        return f"{label}: {len(value)}" + (f" ({', '.join(map(str, value[:10]))})" if value else "")
    if isinstance(value, dict):
        return f"{label}: " + (", ".join(f"{k} {v}" for k, v in value.items()) or "none")
    if isinstance(value, bool):
        return label if value else ""
    return f"{label}: {value}"


def _author_link(author: Author | None):
    if author is None:
        return "-"
    url = reverse("admin:works_author_change", args=[author.pk])
    return format_html(
        '<a href="{}">{}</a> <span class="help">#{} · {}</span>',
        url,
        author.display_name,
        author.pk,
        author.slug,
    )
