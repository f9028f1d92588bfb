"""Public names: people see the researcher's name, never a username; usernames are random
handles, never made from an email address (issue 15, item 7)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from profiles.models import Invitation
from profiles.public_names import MEMBER, public_name
from tests.html import visible_text

pytestmark = pytest.mark.usefixtures("clear_cache")
PASSWORD = "correct horse battery staple 42"


@pytest.mark.django_db
def test_signup_username_is_a_random_handle_not_the_email(client, fast_passwords):
    client.post(
        "/accounts/signup/",
        {"email": "ada.lovelace@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    user = get_user_model().objects.get(email="ada.lovelace@example.org")
    assert re.fullmatch(r"member-[0-9a-f]{10}", user.username)
    assert "ada" not in user.username and "lovelace" not in user.username


def test_orcid_sign_up_username_is_a_random_handle(client, orcid_server, orcid_sign_in):
    orcid_sign_in(client)
    client.post("/accounts/3rdparty/signup/", {"email": "grace@example.org"})

    user = get_user_model().objects.get(email="grace@example.org")
    assert re.fullmatch(r"member-[0-9a-f]{10}", user.username)


@pytest.mark.django_db
def test_public_name_is_the_owned_researcher_else_the_full_name_else_neutral(
    make_account, make_author, make_owned
):
    researcher = make_account("kang@example.org")
    make_owned(make_author("Kang Liu"), researcher)
    named = make_account("x@example.org", first_name="Ada", last_name="Lovelace")
    plain = make_account("plain.person@example.org")

    assert public_name(researcher) == "Kang Liu"
    assert public_name(named) == "Ada Lovelace"
    assert public_name(plain) == MEMBER


def test_invitations_conversations_and_emails_show_the_researchers_name(
    make_account, make_author, make_owned, logged_in, django_capture_on_commit_callbacks
):
    owner = make_account("owner.person@example.org")
    record = make_author("Grace Hopper", open_to_collaborate=True)
    make_owned(record, owner)
    sender = make_account("sender.person@example.org")
    make_owned(make_author("Kang Liu"), sender)
    sender_client, owner_client = logged_in(sender), logged_in(owner)

    with django_capture_on_commit_callbacks(execute=True):
        sender_client.post(
            f"/researchers/{record.slug}/invite/", {"subject": "Joint paper?", "message": "Hi"}
        )
    invitation = Invitation.objects.get()
    inbox = visible_text(owner_client.get("/inbox/").content)
    invite_mail = mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/invitations/{invitation.pk}/answer/", {"action": "accept"})
    invitation.refresh_from_db()
    conversation_url = invitation.conversation.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        sender_client.post(conversation_url, {"body": "Let us start."})
    page = visible_text(owner_client.get(conversation_url).content)
    message_mail = mail.outbox[-1]

    for text in (inbox, invite_mail, page, message_mail.subject, message_mail.body):
        assert "Kang Liu" in text
        assert sender.username not in text and "sender.person" not in text
    assert "From Kang Liu to you" in inbox and "With Kang Liu" in page


def test_conversation_page_names_cost_one_query_however_many_messages(
    make_account, make_author, make_owned, logged_in, django_assert_max_num_queries
):
    from profiles.collaboration import invitation_answer, invitation_send, message_send

    owner, sender = make_account(), make_account()
    record = make_author("Grace Hopper", open_to_collaborate=True)
    make_owned(record, owner)
    make_owned(make_author("Kang Liu"), sender)
    invitation = invitation_send(author=record, sender=sender, subject="Hi", message="Hello")
    invitation = invitation_answer(invitation_id=invitation.pk, user=owner, accept=True)
    conversation = invitation.conversation
    message_send(conversation=conversation, user=sender, body="one")
    client = logged_in(owner)
    with django_assert_max_num_queries(12) as few:
        client.get(conversation.get_absolute_url())
    for n in range(10):
        message_send(conversation=conversation, user=sender if n % 2 else owner, body=f"{n}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = visible_text(client.get(conversation.get_absolute_url()).content)

    assert page.count("Kang Liu") >= 6 and "With Kang Liu" in page
