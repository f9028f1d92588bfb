"""Claiming a record, and what its owner may change: thin views over profiles.claims and
profiles.owner.

A user's own claims are loaded through a query filtered by that user (another user's claim
is a 404); an owner's record through an approved claim of theirs. Every change is a POST
(CSRF-checked).
"""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bzpeer.lib.ratelimit import RateLimited, rate_limit_consume
from works.models import Author, Work

from .. import claims, owner, selectors
from ..account_forms import DisputeForm, EvidenceClaimForm, NotMineForm, OwnerEditForm
from ..claims import ClaimError
from ..models import Claim, FeaturedWork, WorkHiddenRequest
from .access import form_page, redirect_to_kept

EDIT_WORKS_LIMIT = 100


def _get_owned_author(slug: str, user) -> Author:
    """The author if this user owns it (approved claim); 404 for everyone else. Hidden
    records included: their owner manages them."""
    return get_object_or_404(
        Author.objects.public().for_profile(),
        slug=slug,
        claims__user=user,
        claims__status=Claim.Status.APPROVED,
    )


ROUTES = ("orcid", "email", "evidence", "dispute")


def _claim_submit(
    request: HttpRequest,
    author: Author,
    route: str,
    evidence: EvidenceClaimForm,
    dispute: DisputeForm,
) -> HttpResponse | None:
    """Runs the chosen route; a redirect when done, None when a form has errors."""
    if route not in ROUTES:
        raise ClaimError("Choose one of the routes below.")
    if (
        route in ("evidence", "dispute")
        and not (evidence if route == "evidence" else dispute).is_valid()
    ):
        return None
    rate_limit_consume(action="dispute" if route == "dispute" else "claim", user_id=request.user.pk)
    if route == "orcid":
        done = claims.claim_by_orcid(author=author, user=request.user)
    elif route == "email":
        done = claims.claim_by_email(author=author, user=request.user)
    elif route == "evidence":
        done = claims.claim_with_evidence(
            author=author,
            user=request.user,
            links=evidence.cleaned_data["links"],
            note=evidence.cleaned_data["note"],
        )
        messages.success(request, "Your claim is waiting for an admin's review.")
        return redirect("profiles:claim_detail", pk=done.pk)
    else:
        owner = claims.author_owner_claim(author)
        if owner is None:
            raise ClaimError("Nobody owns this record: there is nothing to dispute.")
        claims.claim_dispute(claim=owner, user=request.user, note=dispute.cleaned_data["note"])
        messages.success(request, "Thank you: an admin will review this claim.")
        return redirect(author)
    messages.success(
        request, f"You own this record: Verification L{done.level} · {done.evidence_summary}."
    )
    return redirect(author)


@login_required
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    """The routes that fit this user (GET), or one of them taken (POST)."""
    try:
        author = selectors.author_for_page(slug, for_action=request.method == "POST")
    except selectors.AuthorMerged as merged:
        return redirect_to_kept(request, slug, merged.kept)
    evidence_form, dispute_form = EvidenceClaimForm(), DisputeForm()
    limited = None
    if request.method == "POST":
        route = request.POST.get("route", "")
        if route == "evidence":
            evidence_form = EvidenceClaimForm(request.POST)
        elif route == "dispute":
            dispute_form = DisputeForm(request.POST)
        try:
            done = _claim_submit(request, author, route, evidence_form, dispute_form)
        except ClaimError as error:
            messages.error(request, str(error))
        except RateLimited as error:
            messages.error(request, str(error))
            limited = error
        else:
            if done is not None:
                return done
    routes = claims.claim_routes(author=author, user=request.user)
    context = {
        "author": author,
        "routes": routes,
        "ORCID_ENABLED": bool(get_social_adapter().list_apps(request, provider="orcid")),
        "evidence_form": evidence_form,
        "dispute_form": dispute_form,
    }
    return form_page(request, "profiles/claim.html", context, limited)


@login_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    own = get_object_or_404(
        Claim.objects.select_related("author", "decided_by"), pk=pk, user=request.user
    )
    return render(request, "profiles/claim_detail.html", {"claim": own, "author": own.author})


@login_required
@require_POST
def claim_release(request: HttpRequest, pk: int) -> HttpResponse:
    own = get_object_or_404(Claim.objects.select_related("author"), pk=pk, user=request.user)
    try:
        claims.claim_release(claim_id=own.pk, user=request.user)
        messages.success(request, "You released the record; it is unclaimed again.")
    except ClaimError as error:
        messages.error(request, str(error))
    return redirect("profiles:claim_detail", pk=own.pk)


# --- owner edits -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def author_edit(request: HttpRequest, slug: str) -> HttpResponse:
    author = _get_owned_author(slug, request.user)
    works = list(
        Work.objects.filter(authorships__author=author)
        .exclude(
            pk__in=WorkHiddenRequest.objects.filter(
                author=author, status=WorkHiddenRequest.Status.PENDING
            ).values("work")
        )
        .order_by("-year", "title", "pk")
        .only("pk", "title", "year")[:EDIT_WORKS_LIMIT]
    )
    featured = list(FeaturedWork.objects.filter(author=author).values_list("work_id", flat=True))
    if request.method == "POST":
        form = OwnerEditForm(request.POST, works=works)
        if form.is_valid():
            owner.author_owner_update(
                author=author,
                user=request.user,
                bio=form.cleaned_data["bio"],
                open_to_collaborate=form.cleaned_data["open_to_collaborate"],
                featured_work_ids=form.cleaned_data["featured"],
            )
            messages.success(request, "Your profile was updated.")
            return redirect(author)
    else:
        form = OwnerEditForm(
            works=works,
            initial={
                "bio": author.bio,
                "open_to_collaborate": author.open_to_collaborate,
                "featured": featured,
            },
        )
    return render(
        request,
        "profiles/author_edit.html",
        {"author": author, "form": form, "works": works},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def author_visibility(request: HttpRequest, slug: str) -> HttpResponse:
    author = _get_owned_author(slug, request.user)
    hidden = request.POST.get("hidden") == "1"
    owner.author_visibility_set(author=author, user=request.user, hidden=hidden)
    if hidden:
        messages.success(request, "Your profile is hidden from public pages and search.")
    else:
        messages.success(request, "Your profile is public again.")
    return redirect(author)


@login_required
@require_http_methods(["GET", "POST"])
def work_not_mine(request: HttpRequest, slug: str, work_id: int) -> HttpResponse:
    author = _get_owned_author(slug, request.user)
    work = get_object_or_404(Work.objects.filter(authorships__author=author).distinct(), pk=work_id)
    form = NotMineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            owner.work_not_mine(
                author=author, user=request.user, work=work, note=form.cleaned_data["note"]
            )
            messages.success(
                request, "The work is hidden from your profile until an admin reviews it."
            )
            return redirect("profiles:author_edit", slug=author.slug)
        except ClaimError as error:
            messages.error(request, str(error))
    return render(
        request, "profiles/work_not_mine.html", {"author": author, "work": work, "form": form}
    )
