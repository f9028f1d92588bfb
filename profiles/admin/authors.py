"""The records curators work on: institutions, authors and their bylines, follows, scores."""

from django.contrib import admin

from bzpeer.lib.events import Why, authors_changed_announce
from works.models import Author, Authorship, Institution

from ..models import Follow, TrustSnapshot
from .curation import merge_authors, move_authorships, remove_authorships


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
            authors_changed_announce([obj.pk], why=Why.PROFILE, sender=self)


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


# Registered here, not in works: its actions are curation decisions (profiles.curation).
@admin.register(Authorship)
class AuthorshipAdmin(admin.ModelAdmin):
    list_display = ["raw_author_name", "author", "work", "position", "is_corresponding"]
    list_select_related = ["author", "work"]
    search_fields = ["raw_author_name", "author__display_name", "work__title"]
    raw_id_fields = ["work", "author"]
    filter_horizontal = ["institutions"]
    actions = [move_authorships, remove_authorships]
    readonly_fields = ["import_batch", "source_record"]
