from django.contrib import admin

from profiles.admin_curation import move_authorships, remove_authorships

from .admin_imports import ImportBatchUploadMixin
from .admin_undo import undo_import_batch
from .models import (
    Authorship,
    AuthorshipOverride,
    BatchChange,
    ImportBatch,
    Topic,
    Venue,
    Work,
    WorkTopic,
)
from .services import trust_recompute_on_commit


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
    model = Authorship
    fields = ["position", "author", "raw_author_name", "is_corresponding", "source"]
    raw_id_fields = ["author"]
    extra = 0


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
    # and after a byline change) get new data versions, which key the cached profile parts,
    # and are marked for the trust engine, as an import's changes are.
    def save_related(self, request, form, formsets, change) -> None:
        before = _author_ids(form.instance) if change else set()
        super().save_related(request, form, formsets, change)
        trust_recompute_on_commit(before | _author_ids(form.instance))

    def delete_model(self, request, obj) -> None:
        authors = _author_ids(obj)
        super().delete_model(request, obj)
        trust_recompute_on_commit(authors)


def _author_ids(work: Work) -> set[int]:
    return set(
        Authorship.objects.filter(work=work, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )


@admin.register(Authorship)
class AuthorshipAdmin(admin.ModelAdmin):
    list_display = ["raw_author_name", "author", "work", "position", "is_corresponding"]
    list_select_related = ["author", "work"]
    search_fields = ["raw_author_name", "author__display_name", "work__title"]
    raw_id_fields = ["work", "author"]
    filter_horizontal = ["institutions"]
    actions = [move_authorships, remove_authorships]
    readonly_fields = ["import_batch", "source_record"]


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
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]


@admin.register(AuthorshipOverride)
class AuthorshipOverrideAdmin(admin.ModelAdmin):
    """Admins' byline decisions that every import re-applies; delete one to let go of it."""

    list_display = ["work", "name_key", "position", "author", "decided_by", "reason", "updated_at"]
    list_select_related = ["work", "author", "decided_by"]
    search_fields = ["name_key", "work__title", "author__display_name"]
    raw_id_fields = ["work", "author", "decided_by"]


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
