"""Pages of logged-in users: claims, owner edits, invitations, conversations, Following.

Thin views over profiles.claims, profiles.collaboration and profiles.digests. Every object
that belongs to a user is loaded through a query filtered by that user, so another user's
claim, invitation or conversation is a 404; every change is a POST (CSRF-checked).
"""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from works.models import Work

from . import claims, collaboration, digests
from .account_forms import (
    DigestForm,
    DisputeForm,
    EvidenceClaimForm,
    InvitationForm,
    MessageForm,
    NotMineForm,
    OwnerEditForm,
)
from .claims import ClaimError
from .collaboration import CollaborationError
from .models import Author, Claim, FeaturedWork, WorkHiddenRequest
from .ratelimit import RateLimited, rate_limit_consume

EDIT_WORKS_LIMIT = 100


def _rendered(
    request: HttpRequest, template: str, context: dict, limited: RateLimited | None
) -> HttpResponse:
    """The form page again: 400 for a POST with errors, 429 with Retry-After past a limit."""
    if limited is not None:
        response = render(request, template, context, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _get_listed_author(slug: str) -> Author:
    """A listed author: merged slugs (the profile page redirects them) and profiles hidden at
    the owner's request are a 404 here."""
    return get_object_or_404(Author.objects.listed().for_profile(), slug=slug)


def _get_owned_author(slug: str, user) -> Author:
    """The author if this user owns it (approved claim); 404 for everyone else."""
    return get_object_or_404(
        Author.objects.public().for_profile(),
        slug=slug,
        claims__user=user,
        claims__status=Claim.Status.APPROVED,
    )


# --- claims ------------------------------------------------------------------------------


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
    author = _get_listed_author(slug)
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
    return _rendered(request, "profiles/claim.html", context, limited)


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
            claims.author_owner_update(
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
    claims.author_visibility_set(author=author, user=request.user, hidden=hidden)
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
            claims.work_not_mine(
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


# --- direct collaboration ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    author = _get_listed_author(slug)
    form = InvitationForm(request.POST if request.method == "POST" else None)
    limited = None
    if request.method == "POST" and form.is_valid():
        try:
            collaboration.invitation_send(
                author=author,
                sender=request.user,
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
            )
            messages.success(request, "Your invitation was sent.")
            return redirect(author)
        except CollaborationError as error:
            messages.error(request, str(error))
        except RateLimited as error:
            messages.error(request, str(error))
            limited = error
    context = {"author": author, "form": form, "owner": claims.author_owner_claim(author)}
    return _rendered(request, "profiles/invite.html", context, limited)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "profiles/inbox.html", collaboration.inbox(request.user))


@login_required
@require_POST
def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    accept = request.POST.get("action") == "accept"
    invitation = collaboration.invitation_answer(invitation_id=pk, user=request.user, accept=accept)
    if invitation.status == invitation.Status.ACCEPTED:
        messages.success(request, "Invitation accepted: the conversation is open.")
        return redirect(invitation.conversation)
    messages.success(request, "Invitation declined.")
    return redirect("profiles:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    thread = collaboration.conversation_for_user(pk, request.user)
    form = MessageForm(request.POST if request.method == "POST" else None)
    limited = None
    if request.method == "POST" and form.is_valid():
        try:
            collaboration.message_send(
                conversation=thread, user=request.user, body=form.cleaned_data["body"]
            )
            return redirect(thread)
        except CollaborationError as error:
            messages.error(request, str(error))
        except RateLimited as error:
            messages.error(request, str(error))
            limited = error
    context = {
        "conversation": thread,
        "other": thread.other(request.user),
        "thread_messages": thread.messages.select_related("sender"),
        "form": form,
    }
    return _rendered(request, "profiles/conversation.html", context, limited)


# --- following ---------------------------------------------------------------------------


@login_required
@require_GET
def following(request: HttpRequest) -> HttpResponse:
    since = digests.following_since()
    context = {
        "authors": list(digests.followed_authors(request.user)),
        "works": digests.following_new_works(request.user, since=since),
        "since": since,
        "digest_form": DigestForm(
            initial={"follow_digest": digests.follow_digest_enabled(request.user)}
        ),
    }
    return render(request, "profiles/following.html", context)


@login_required
@require_POST
def following_digest(request: HttpRequest) -> HttpResponse:
    form = DigestForm(request.POST)
    form.is_valid()  # a missing checkbox is "off"
    enabled = bool(form.cleaned_data.get("follow_digest"))
    digests.follow_digest_set(user=request.user, enabled=enabled)
    messages.success(
        request, "You will get the digest by email." if enabled else "The digest is off."
    )
    return redirect(reverse("profiles:following"))
