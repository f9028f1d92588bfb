"""Admin review of claims, disputes and "not mine" requests (services: profiles/claims.py).

Each object gets a "Decide" page (a CSRF-protected form in the admin) that calls the
service; the service checks again on the server that nobody decides their own claim and
that a record keeps one owner. Claims are never edited field by field here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Model, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .. import claims, owner
from ..account_forms import ClaimDecisionForm, ReviewDecisionForm
from ..claims import ClaimError
from ..models import Claim, ClaimDispute, Invitation, WorkHiddenRequest


class DecideMixin:
    """A read-only change page plus /<id>/decide/ for the decision."""

    decide_form_class = ReviewDecisionForm
    decide_title = "Decide"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{opts.app_label}_{opts.model_name}_decide",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Decide")
    def decide_link(self, obj: Model) -> str:
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_decide", args=[obj.pk])
        return format_html('<a href="{}">Decide…</a>', url)

    def decide(self, request: HttpRequest, obj: Model, data: dict) -> str:
        raise NotImplementedError

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=object_id)
        opts = self.model._meta
        form = self.decide_form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                done = self.decide(request, obj, form.cleaned_data)
            except ClaimError as error:
                messages.error(request, str(error))
            else:
                # the decision in "Recent actions" too, as the object now reads
                obj.refresh_from_db()
                LogEntry.objects.log_actions(
                    user_id=request.user.pk, queryset=[obj], action_flag=CHANGE, change_message=done
                )
                messages.success(request, done)
                return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "object": obj,
            "form": form,
            "title": f"{self.decide_title}: {obj}",
        }
        return TemplateResponse(request, "admin/profiles/decide.html", context)


@admin.register(Claim)
class ClaimAdmin(DecideMixin, admin.ModelAdmin):
    list_display = [
        "author",
        "user",
        "route",
        "status",
        "level",
        "reason_code",
        "created_at",
        "decided_by",
        "decide_link",
    ]
    list_filter = ["status", "route", "level"]
    list_select_related = ["author", "user", "decided_by"]
    search_fields = ["author__display_name", "user__username", "user__email"]
    # the review queue first (oldest pending on top), then the rest, newest first
    ordering = [
        Case(When(status=Claim.Status.PENDING, then=Value(0)), default=Value(1)).asc(),
        "created_at",
    ]
    decide_form_class = ClaimDecisionForm
    decide_title = "Decide claim"

    def get_actions(self, request):
        # no bulk delete: an approved claim ends by "revoke", which resets the record too
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        if obj is not None and obj.status == Claim.Status.APPROVED:
            return False
        return super().has_delete_permission(request, obj)

    def decide(self, request: HttpRequest, obj: Claim, data: dict) -> str:
        if data["decision"] == ClaimDecisionForm.REVOKE:
            claims.claim_revoke(claim_id=obj.pk, admin=request.user, reason=data["note"])
            return f"Revoked: {obj.author} has no owner and is back to its earlier level."
        if data["decision"] == ClaimDecisionForm.RAISE:
            claims.claim_raise_to_l4(claim_id=obj.pk, admin=request.user, note=data["note"])
            return f"{obj.author} is now L4 (curated)."
        approve = data["decision"] == ClaimDecisionForm.APPROVE
        claim = claims.claim_decide(
            claim_id=obj.pk,
            admin=request.user,
            approve=approve,
            reason_code=data["reason_code"],
            note=data["note"],
        )
        if approve:
            return f"Approved: {claim.user} owns {claim.author} (L2)."
        return f"Rejected the claim of {claim.user} on {claim.author}."


@admin.register(ClaimDispute)
class ClaimDisputeAdmin(DecideMixin, admin.ModelAdmin):
    list_display = ["claim", "user", "status", "created_at", "decided_by", "decide_link"]
    list_filter = ["status"]
    list_select_related = ["claim__author", "claim__user", "user", "decided_by"]
    decide_title = "Decide dispute"

    def decide(self, request: HttpRequest, obj: ClaimDispute, data: dict) -> str:
        uphold = data["decision"] == "approve"
        claims.dispute_decide(
            dispute_id=obj.pk, admin=request.user, uphold=uphold, note=data["note"]
        )
        return "Dispute upheld: the claim was revoked." if uphold else "Dispute dismissed."


@admin.register(WorkHiddenRequest)
class WorkHiddenRequestAdmin(DecideMixin, admin.ModelAdmin):
    list_display = ["work", "author", "requested_by", "status", "created_at", "decide_link"]
    list_filter = ["status"]
    list_select_related = ["work", "author", "requested_by"]
    decide_title = "Decide \u201cnot mine\u201d"

    def decide(self, request: HttpRequest, obj: WorkHiddenRequest, data: dict) -> str:
        approve = data["decision"] == "approve"
        owner.work_hidden_request_decide(
            request_id=obj.pk, admin=request.user, approve=approve, note=data["note"]
        )
        return "Split off the record." if approve else "Rejected: the work stays on the record."


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Moderation view of invitations (their conversations stay private to the two)."""

    list_display = ["subject", "sender", "recipient", "author", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["sender", "recipient", "author"]
    search_fields = ["subject", "sender__email", "recipient__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
