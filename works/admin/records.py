"""The scholarly record in admin: works with their bylines and topics, venues, topics, and
the byline decisions imports re-apply."""

from django.contrib import admin
from django.db import models
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.text import title_key
from works.imports import merge
from works.models import Authorship, AuthorshipOverride, Topic, Venue, Work, WorkTopic

# Work fields imports set that an admin may edit here; an edit stamps them "admin".
EDITABLE_SOURCED_FIELDS = {
    "title",
    "type",
    "year",
    "publication_date",
    "venue",
    "abstract",
    "code_url",
    "cited_by_count",
    "language",
    "doi",
    "arxiv_id",
    "openalex_id",
}


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "issn_l", "openalex_id"]
    list_filter = ["type"]
    search_fields = ["name", "issn_l", "openalex_id"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "level", "external_id", "parent"]
    list_filter = ["source", "level"]
    list_select_related = ["parent"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["parent"]


class AuthorshipInline(admin.TabularInline):
    """The byline, read-only: who it credits changes through Authorships' Move and Remove
    actions, which are audited and kept by later imports."""

    model = Authorship
    fields = ["position", "author", "raw_author_name", "is_corresponding", "source"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WorkTopicInline(admin.TabularInline):
    model = WorkTopic
    raw_id_fields = ["topic"]
    extra = 0


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = ["title", "type", "year", "venue", "doi", "arxiv_id", "openalex_id", "source"]
    list_filter = ["type", "source", "year"]
    list_select_related = ["venue"]
    search_fields = ["title", "doi", "arxiv_id", "openalex_id"]
    raw_id_fields = ["venue", "import_batch"]
    inlines = [AuthorshipInline, WorkTopicInline]
    readonly_fields = ["lower_source_conflicts", "field_sources_shown"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Conflicts from lower sources")
    def lower_source_conflicts(self, work: Work) -> str:
        """What lower sources said that the precedence kept out, for a curator to choose:
        edit the field to take one (an admin edit outranks every source)."""
        if not work.conflicts:
            return "none"
        venues = dict(
            Venue.objects.filter(
                pk__in=[v for v in work.conflicts.get("venue_id", {}).values() if v]
            ).values_list("pk", "name")
        )
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} says “{}”",
            (
                (name.removesuffix("_id"), source, venues.get(value, value))
                for name, offered in sorted(work.conflicts.items())
                for source, value in sorted(offered.items())
            ),
        )

    @admin.display(description="Set by")
    def field_sources_shown(self, work: Work) -> str:
        if not work.field_sources:
            return f"every field: {work.source or 'unknown'}"
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} (batch {})",
            (
                (name.removesuffix("_id"), stamp[0], stamp[1] or "–")
                for name, stamp in sorted(work.field_sources.items())
            ),
        )

    def save_model(self, request, obj: Work, form, change) -> None:
        """Fields edited here rank above every source (works.imports.merge.ADMIN)."""
        if change:
            edited = set(form.changed_data) & EDITABLE_SOURCED_FIELDS
            if edited:
                # what the sources said stays listed; their next import lists theirs too
                obj.field_sources = obj.field_sources | {
                    ("venue_id" if name == "venue" else name): [merge.ADMIN, None]
                    for name in edited
                }
            if "title" in edited:
                obj.title_key = title_key(obj.title)
        super().save_model(request, obj, form, change)

    # A curator's edit shows at once on the profiles that list the work: its authors (before
    # and after a byline change) are announced as changed, as an import's are (new data
    # versions for their cached pages, the trust engine recomputes them).
    def save_related(self, request, form, formsets, change) -> None:
        before = _author_ids(form.instance) if change else set()
        super().save_related(request, form, formsets, change)
        authors_changed_announce(before | _author_ids(form.instance), why=Why.WORKS, sender=self)

    def delete_model(self, request, obj) -> None:
        authors = _author_ids(obj)
        super().delete_model(request, obj)
        authors_changed_announce(authors, why=Why.WORKS, sender=self)


def _author_ids(work: Work) -> set[int]:
    return set(
        Authorship.objects.filter(work=work, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )


@admin.register(AuthorshipOverride)
class AuthorshipOverrideAdmin(admin.ModelAdmin):
    """Admins' byline decisions that every import re-applies; delete one to let go of it."""

    list_display = ["work", "name_key", "position", "author", "decided_by", "reason", "updated_at"]
    list_select_related = ["work", "author", "decided_by"]
    search_fields = ["name_key", "work__title", "author__display_name"]
    raw_id_fields = ["work", "author", "decided_by"]
