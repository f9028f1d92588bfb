"""The scholarly record in admin: works with their bylines and topics, venues, topics, and
the byline decisions imports re-apply."""

from django.contrib import admin

from bzpeer.lib.events import Why, authors_changed_announce
from works.models import Authorship, AuthorshipOverride, Topic, Venue, Work, WorkTopic


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
