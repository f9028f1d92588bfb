"""The records curators work on: institutions, authors and their bylines, follows, scores."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from bzpeer.lib.events import Why, authors_changed_announce
from works.imports.loader import assign_slugs
from works.models import Author, Authorship, Institution

from ..curation import CurationError, author_level_set, authors_unmerge, owners_of
from ..models import AuthorAuditLog, Follow, TrustSnapshot
from .curation import (
    ReasonForm,
    SetLevelForm,
    log_decision,
    merge_authors,
    move_authorships,
    remove_authorships,
)

# Facts that make promises to the public: changed only by the named actions (STYLE.md).
IDENTITY_FIELDS = [
    "slug",
    "verification_level",
    "verification_evidence",
    "orcid",
    "openalex_id",
    "dblp_pid",
    "merged_into",
    "owner",
]
AUTHORSHIPS_SHOWN = 20


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["display_name", "country_code", "type", "ror", "openalex_id", "parent"]
    list_filter = ["type", "country_code"]
    list_select_related = ["parent"]
    search_fields = ["display_name", "ror", "openalex_id"]
    raw_id_fields = ["parent"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    change_form_template = "admin/works/author/change_form.html"
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
    raw_id_fields = ["last_known_institution", "import_batch"]
    actions = [merge_authors]
    readonly_fields = [
        *IDENTITY_FIELDS,
        "authorships_in_context",
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

    def has_delete_permission(self, request, obj=None) -> bool:
        # a record leaves by merge (301 for good) or by undoing the import that made it:
        # both audited and reversible; a delete would be neither
        return False

    def save_model(self, request, obj, form, change) -> None:
        if not change:  # a hand-made record: L0, a slug like an import's
            assign_slugs([obj])
        super().save_model(request, obj, form, change)
        if change:  # name, bio, institution: the public page and co-authors' slices follow
            authors_changed_announce([obj.pk], why=Why.PROFILE, sender=AuthorAdmin)

    @admin.display(description="Owner")
    def owner(self, obj: Author):
        user = owners_of([obj.pk]).get(obj.pk) if obj.pk else None
        return f"{user} (user #{user.pk})" if user else "-"

    @admin.display(description="Authorships")
    def authorships_in_context(self, obj: Author):
        """Title, year and co-authors of the latest works: tells same-named authors apart."""
        if not obj.pk:
            return "-"
        rows = (
            Authorship.objects.filter(author=obj)
            .select_related("work")
            .order_by("-work__year", "-work_id")[:AUTHORSHIPS_SHOWN]
        )
        rows = list(rows)
        coauthors: dict[int, list[str]] = {}
        for work_id, name in (
            Authorship.objects.filter(work_id__in=[r.work_id for r in rows], position__lt=6)
            .exclude(author=obj)
            .order_by("work_id", "position")
            .values_list("work_id", "raw_author_name")
        ):
            coauthors.setdefault(work_id, []).append(name)
        total = Authorship.objects.filter(author=obj).count()
        listing = reverse("admin:works_authorship_changelist") + f"?author__id__exact={obj.pk}"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}) · as “{}” · with {}</li>',
            (
                (
                    reverse("admin:works_work_change", args=[r.work_id]),
                    r.work.title,
                    r.work.year or "n.d.",
                    r.raw_author_name,
                    ", ".join(coauthors.get(r.work_id, [])) or "no co-authors",
                )
                for r in rows
            ),
        )
        return format_html(
            '<ul class="authorships">{}</ul><a href="{}">All {} authorship(s) »</a>',
            items,
            listing,
            total,
        )

    def get_urls(self):
        own = [
            path(
                "<int:object_id>/set-level/",
                self.admin_site.admin_view(self.set_level_view),
                name="works_author_set_level",
            ),
            path(
                "<int:object_id>/unmerge/",
                self.admin_site.admin_view(self.unmerge_view),
                name="works_author_unmerge",
            ),
        ]
        return own + super().get_urls()

    def _confirm_page(self, request, author, form, title, explanation, submit, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": author,
            "object": author,
            "form": form,
            "title": title,
            "explanation": explanation,
            "submit": submit,
            **extra,
        }
        return TemplateResponse(request, "admin/works/author/identity_action.html", context)

    def set_level_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        author = get_object_or_404(Author, pk=object_id)
        if not self.has_change_permission(request, author):
            raise PermissionDenied
        initial = {
            "level": author.verification_level,
            "evidence": author.verification_evidence,
        }
        form = SetLevelForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                author_level_set(author=author, user=request.user, **form.cleaned_data)
            except CurationError as exc:
                form.add_error(None, str(exc))
            else:
                message = (
                    f"Level set to L{form.cleaned_data['level']}: {form.cleaned_data['reason']}"
                )
                log_decision(request, author, message)
                messages.success(request, f"{author}: {message}")
                return redirect("admin:works_author_change", author.pk)
        return self._confirm_page(
            request,
            author,
            form,
            f"Set the verification level of {author}",
            "The level and evidence show on the public page. An unclaimed record is L0 or L1; "
            "L2-L4 come with an approved claim (Claims › Decide). The change, its reason and "
            "the record before and after go into the audit log; the trust score is recomputed.",
            "Set the level",
        )

    def unmerge_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        author = get_object_or_404(Author, pk=object_id)
        if not (
            self.has_change_permission(request, author)
            and request.user.has_perm("works.change_authorship")
        ):
            raise PermissionDenied
        entry = (
            AuthorAuditLog.objects.filter(
                action=AuthorAuditLog.Action.MERGE,
                other_author=author,
                author_id=author.merged_into_id,
                undone_by__isnull=True,
            )
            .select_related("author", "actor")
            .first()
        )
        if entry is None:
            messages.warning(request, f"{author} has no merge to undo.")
            return redirect("admin:works_author_change", author.pk)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                authors_unmerge(entry=entry, user=request.user, reason=form.cleaned_data["reason"])
            except CurationError as exc:
                form.add_error(None, str(exc))
            else:
                log_decision(request, author, f"Unmerged from {entry.author}")
                messages.success(request, f"{author} is a record of its own again.")
                return redirect("admin:works_author_change", author.pk)
        return self._confirm_page(
            request,
            author,
            form,
            f"Unmerge {author} from {entry.author}?",
            f"Merged by {entry.actor or 'an admin'} on {entry.created_at:%Y-%m-%d %H:%M} "
            f"({entry.reason or 'no reason given'}). Unmerging gives {author} back its "
            f"{len(entry.details.get('authorships', []))} authorship(s), its follows, claims, "
            "persistent ids and name; its page is served again instead of redirecting.",
            "Unmerge",
            changes=entry.changes_in_words(),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        author = self.get_object(request, object_id)
        if author is not None:
            extra_context = {
                "can_unmerge": bool(author.merged_into_id)
                and AuthorAuditLog.objects.filter(
                    action=AuthorAuditLog.Action.MERGE,
                    other_author=author,
                    undone_by__isnull=True,
                ).exists(),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)


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
    list_display = ["raw_author_name", "author_with_id", "work", "year", "position"]
    list_select_related = ["author", "work"]
    search_fields = ["raw_author_name", "author__display_name", "work__title"]
    raw_id_fields = ["work", "author"]
    filter_horizontal = ["institutions"]
    actions = [move_authorships, remove_authorships]
    readonly_fields = ["import_batch", "source_record"]

    def get_readonly_fields(self, request, obj=None):
        # who a byline credits changes by Move/Remove (audited, sticky), never by hand
        if obj is not None:
            return ["work", "author", "position", "raw_author_name", *self.readonly_fields]
        return self.readonly_fields

    @admin.display(description="Author", ordering="author__display_name")
    def author_with_id(self, obj: Authorship):
        if obj.author is None:
            return "-"
        return format_html(
            '{} <span class="help">#{} · {}</span>', obj.author, obj.author_id, obj.author.slug
        )

    @admin.display(description="Year", ordering="work__year")
    def year(self, obj: Authorship):
        return obj.work.year
