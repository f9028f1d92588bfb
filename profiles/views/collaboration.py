"""Direct collaboration: invitations to a record's owner, the inbox, conversations.

Thin views over profiles.collaboration, which loads every invitation and conversation
through a query filtered by the user (anyone else's is a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bzpeer.lib.ratelimit import RateLimited

from .. import claims, collaboration, selectors
from ..account_forms import InvitationForm, MessageForm
from ..collaboration import CollaborationError
from ..public_names import public_names_load
from .access import form_page, redirect_to_kept


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        author = selectors.author_for_page(slug, for_action=request.method == "POST")
    except selectors.AuthorMerged as merged:
        return redirect_to_kept(request, slug, merged.kept)
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
    return form_page(request, "profiles/invite.html", context, limited)


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
    other = thread.other(request.user)
    thread_messages = list(thread.messages.select_related("sender"))
    public_names_load([other, *(m.sender for m in thread_messages)])  # one query for all
    context = {
        "conversation": thread,
        "other": other,
        "thread_messages": thread_messages,
        "form": form,
    }
    return form_page(request, "profiles/conversation.html", context, limited)
