"""Direct collaboration: invitations to an owner, the inbox, accept/decline, a conversation
only its two participants can read, email notifications, limits."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from profiles.models import Conversation, Invitation, Message
from tests.html import visible_text

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("clear_cache")]

LOCK_TEXT = "Claim this author entity first to unlock direct invitations."


@pytest.fixture
def owner(make_account):
    return make_account("owner@example.org")


@pytest.fixture
def record(make_author, make_owned, owner):
    author = make_author("Grace Hopper", open_to_collaborate=True)
    make_owned(author, owner)
    return author


@pytest.fixture
def sender(make_account):
    return make_account("sender@example.org")


def _invite(client: Client, author, subject="Joint paper?", message="Shall we write one?"):
    return client.post(
        f"/researchers/{author.slug}/invite/", {"subject": subject, "message": message}
    )


def test_unclaimed_profile_keeps_the_lock_text_and_refuses_invitations(
    make_author, sender, logged_in
):
    author = make_author()
    client = logged_in(sender)

    assert LOCK_TEXT in visible_text(client.get(author.get_absolute_url()).content)
    response = _invite(client, author)

    assert response.status_code == 400
    assert LOCK_TEXT in visible_text(response.content)
    assert not Invitation.objects.exists()


def test_claimed_profile_shows_the_invitation_form(record, sender, logged_in):
    html = logged_in(sender).get(record.get_absolute_url()).content.decode()

    assert f'action="/researchers/{record.slug}/invite/"' in html
    assert 'maxlength="120"' in html
    assert LOCK_TEXT not in html
    anonymous = visible_text(Client().get(record.get_absolute_url()).content)
    assert "Log in to invite" in anonymous


def test_invitation_accepted_opens_a_private_conversation(
    record, owner, sender, logged_in, make_account, django_capture_on_commit_callbacks
):
    sender_client, owner_client = logged_in(sender), logged_in(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(sender_client, record)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.recipient, invitation.status) == (owner, "pending")
    assert mail.outbox[-1].to == ["owner@example.org"]
    assert "Joint paper?" in mail.outbox[-1].subject
    inbox = visible_text(owner_client.get("/inbox/").content)
    assert "Joint paper?" in inbox
    assert "Shall we write one?" in inbox

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/invitations/{invitation.pk}/answer/", {"action": "accept"})

    conversation = Conversation.objects.get()
    assert response["Location"] == f"/conversations/{conversation.pk}/"
    assert mail.outbox[-1].to == ["sender@example.org"]
    assert "accepted" in mail.outbox[-1].subject

    with django_capture_on_commit_callbacks(execute=True):
        sender_client.post(f"/conversations/{conversation.pk}/", {"body": "Great, Monday?"})
        owner_client.post(f"/conversations/{conversation.pk}/", {"body": "Monday works."})

    assert list(Message.objects.values_list("body", flat=True)) == [
        "Joint paper?\n\nShall we write one?",
        "Great, Monday?",
        "Monday works.",
    ]
    assert [m.to for m in mail.outbox[-2:]] == [["owner@example.org"], ["sender@example.org"]]
    thread = visible_text(sender_client.get(f"/conversations/{conversation.pk}/").content)
    assert thread.index("Great, Monday?") < thread.index("Monday works.")

    stranger = logged_in(make_account())
    assert stranger.get(f"/conversations/{conversation.pk}/").status_code == 404
    assert stranger.post(f"/conversations/{conversation.pk}/", {"body": "hi"}).status_code == 404
    assert Message.objects.count() == 3


def test_owner_declines_an_invitation(record, owner, sender, logged_in):
    _invite(logged_in(sender), record)
    invitation = Invitation.objects.get()

    logged_in(owner).post(f"/invitations/{invitation.pk}/answer/", {"action": "decline"})

    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert not Conversation.objects.exists()
    assert "Declined" in visible_text(logged_in(sender).get("/inbox/").content)


def test_only_the_recipient_answers_an_invitation(record, sender, logged_in, make_account):
    _invite(logged_in(sender), record)
    invitation = Invitation.objects.get()

    for client in (logged_in(sender), logged_in(make_account())):
        response = client.post(f"/invitations/{invitation.pk}/answer/", {"action": "accept"})
        assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_invitations_need_a_verified_email(record, make_account, logged_in):
    unverified = logged_in(make_account(verified=False))

    response = _invite(unverified, record)

    assert response.status_code == 400
    assert "Verify your email" in visible_text(response.content)
    assert not Invitation.objects.exists()


def test_owner_not_open_to_collaborate_gets_no_invitations(record, sender, logged_in):
    type(record).objects.filter(pk=record.pk).update(open_to_collaborate=False)

    assert _invite(logged_in(sender), record).status_code == 400
    assert not Invitation.objects.exists()


def test_invitation_lengths_are_limited(record, sender, logged_in):
    client = logged_in(sender)

    assert _invite(client, record, subject="x" * 121).status_code == 400
    assert _invite(client, record, message="x" * 2001).status_code == 400
    assert _invite(client, record, subject="  ").status_code == 400
    assert not Invitation.objects.exists()


def test_a_second_invitation_waits_for_the_first_answer(record, sender, logged_in):
    client = logged_in(sender)

    _invite(client, record)
    response = _invite(client, record)

    assert response.status_code == 400
    assert Invitation.objects.count() == 1


def test_invitations_are_rate_limited_per_user(
    make_author, make_account, make_owned, sender, logged_in, settings
):
    settings.BZPEER_RATE_LIMITS = {**settings.BZPEER_RATE_LIMITS, "invitation": "2/d"}
    authors = [make_author(open_to_collaborate=True) for _ in range(3)]
    for author in authors:
        make_owned(author, make_account())
    client = logged_in(sender)

    responses = [_invite(client, author) for author in authors]

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert 0 < int(responses[2]["Retry-After"]) <= 86400
    assert Invitation.objects.count() == 2


def test_owner_cannot_invite_themselves(record, owner, logged_in):
    assert _invite(logged_in(owner), record).status_code == 400
    assert not Invitation.objects.exists()


def test_messages_are_escaped(record, owner, sender, logged_in):
    _invite(logged_in(sender), record, subject="<script>alert(1)</script>")
    invitation = Invitation.objects.get()
    owner_client = logged_in(owner)

    html = owner_client.get("/inbox/").content.decode()
    owner_client.post(f"/invitations/{invitation.pk}/answer/", {"action": "accept"})
    thread = owner_client.get(f"/conversations/{Conversation.objects.get().pk}/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<script>alert(1)</script>" not in thread
    assert "&lt;script&gt;" in thread


@pytest.mark.parametrize("subject", ["Joint paper?\r\nBcc: everyone@example.org", "Line\nbreak"])
def test_invitation_subject_with_a_line_break_is_refused_with_a_clear_message(
    record, sender, logged_in, subject
):
    response = _invite(logged_in(sender), record, subject=subject)

    assert response.status_code == 400
    assert "The subject must be one line" in visible_text(response.content)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_messages_past_the_limit_answer_429_with_retry_after(
    record, owner, sender, logged_in, settings
):
    settings.BZPEER_RATE_LIMITS = {**settings.BZPEER_RATE_LIMITS, "message": "1/h"}
    invitation = Invitation.objects.create(
        author=record, sender=sender, recipient=owner, subject="Hi", message="Talk?"
    )
    thread = Conversation.objects.create(
        invitation=invitation, author=record, starter=sender, owner=owner
    )
    client = logged_in(sender)

    first = client.post(thread.get_absolute_url(), {"body": "One"})
    second = client.post(thread.get_absolute_url(), {"body": "Two"})

    assert (first.status_code, second.status_code) == (302, 429)
    assert 0 < int(second["Retry-After"]) <= 3600
    assert "limit" in visible_text(second.content)
    assert list(Message.objects.values_list("body", flat=True)) == ["One"]
