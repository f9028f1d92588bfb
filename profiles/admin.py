from django.contrib import admin

from .models import Author, Claim, Follow, Institution, TrustSnapshot


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
    list_filter = ["verification_level", "trust_band", "source", "open_to_collaborate"]
    list_select_related = ["last_known_institution"]
    search_fields = ["display_name", "search_names", "slug", "openalex_id", "orcid"]
    raw_id_fields = ["last_known_institution", "merged_into", "import_batch"]
    readonly_fields = [
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


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "author", "created_at"]
    list_select_related = ["user", "author"]
    search_fields = ["user__username", "user__email", "author__display_name"]
    raw_id_fields = ["user", "author"]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["author", "user", "status", "created_at", "decided_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["author", "user", "decided_by"]
    search_fields = ["author__display_name", "user__username", "user__email"]
    raw_id_fields = ["author", "user", "decided_by"]


@admin.register(TrustSnapshot)
class TrustSnapshotAdmin(admin.ModelAdmin):
    list_display = ["author", "score", "band", "level", "computed_at"]
    list_filter = ["band", "level"]
    list_select_related = ["author"]
    search_fields = ["author__display_name"]
    raw_id_fields = ["author"]
    readonly_fields = ["author", "score", "band", "level", "factors", "computed_at"]
