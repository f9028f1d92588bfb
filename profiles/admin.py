from django.contrib import admin

from . import admin_claims  # noqa: F401  claims, disputes, "not mine", invitations
from .admin_curation import merge_authors
from .models import Author, AuthorAuditLog, Follow, Institution, TrustSnapshot


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["display_name", "country_code", "type", "ror", "openalex_id", "parent"]
    list_filter = ["type", "country_code"]
    list_select_related = ["parent"]
    search_fields = ["display_name", "ror", "openalex_id"]
    raw_id_fields = ["parent"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "slug",
        "verification_level",
        "trust_score",
        "trust_band",
        "works_count",
        "last_known_institution",
        "source",
    ]
    list_filter = [
        "verification_level",
        "trust_band",
        "source",
        "open_to_collaborate",
        "confusable_name",
        ("merged_into", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["last_known_institution"]
    search_fields = ["display_name", "search_names", "slug", "openalex_id", "orcid"]
    raw_id_fields = ["last_known_institution", "merged_into", "import_batch"]
    actions = [merge_authors]
    readonly_fields = [
        "source_record",
        "confusable_name",
        "trust_score",
        "trust_band",
        "trust_computed_at",
        "works_count",
        "followers_count",
        "topics_count",
        "close_collaborators_count",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and {"display_name", "slug", "hidden"} & set(form.changed_data):
            # The name shows in co-authors' bylines and graphs, whose cached profile parts
            # are keyed by their data versions: theirs move with its own, on commit.
            from graph.services import graph_neighbours_changed_on_commit

            graph_neighbours_changed_on_commit(obj.pk)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "author", "created_at"]
    list_select_related = ["user", "author"]
    search_fields = ["user__username", "user__email", "author__display_name"]
    raw_id_fields = ["user", "author"]


@admin.register(TrustSnapshot)
class TrustSnapshotAdmin(admin.ModelAdmin):
    list_display = ["author", "score", "band", "level", "computed_at"]
    list_filter = ["band", "level"]
    list_select_related = ["author"]
    search_fields = ["author__display_name"]
    raw_id_fields = ["author"]
    readonly_fields = ["author", "score", "band", "level", "factors", "computed_at"]


@admin.register(AuthorAuditLog)
class AuthorAuditLogAdmin(admin.ModelAdmin):
    """Merges, splits and removals: append-only, nobody edits history."""

    list_display = ["created_at", "action", "author", "other_author", "actor"]
    list_filter = ["action"]
    list_select_related = ["author", "other_author", "actor"]
    search_fields = ["author__display_name", "other_author__display_name", "actor__username"]
    readonly_fields = ["action", "actor", "author", "other_author", "details", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
