"""Following researchers: the follow button, the Following page, the digest setting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bzpeer.lib.htmx import HtmxHttpRequest

from .. import digests, follows, selectors
from ..account_forms import DigestForm


@require_POST
@login_required
def follow(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    # An action: a merged slug follows the kept author; a hidden one cannot be followed,
    # but its followers can still leave.
    unfollow = request.POST.get("action") == "unfollow"
    author = selectors.author_for_page(slug, for_action=True, leaving=unfollow)
    if unfollow:
        follows.author_unfollow(author=author, user=request.user)
        is_following = False
    else:
        follows.author_follow(author=author, user=request.user)
        is_following = True
    if not request.htmx:
        return redirect(author)
    author.refresh_from_db(fields=["followers_count"])
    context = {"author": author, "is_following": is_following, "swap_counts": True}
    return render(request, "profiles/author_detail.html#follow", context)


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
