"""Redis is a helper: with it gone, every page and action answers; when it is back, the work
requests owed runs. Cache, broker and result store of this process point at a redis-server
of the test's own (tests/redis_server.py), which the test kills and starts again; the shared
Redis is never touched."""

from __future__ import annotations

import contextlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import Client

from bzpeer.lib.outbox import services as outbox
from bzpeer.lib.outbox import tasks as outbox_tasks
from bzpeer.lib.outbox.models import OutboxTask
from bzpeer.settings import redis_cache
from profiles.models import Claim, Conversation, DirtyAuthor, Follow, Invitation, Message
from profiles.tasks import invitation_notify, trust_dirty_recompute
from tests.integration.conftest import sending_to, start_worker, stop_worker
from tests.integration.waiting import wait_for
from tests.redis_server import PrivateRedis

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

PASSWORD = "correct horse battery staple 42"


@contextlib.contextmanager
def result_backend(app, url: str):
    """This process's Celery app keeps results at `url` meanwhile."""
    saved = app.conf.result_backend
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app.conf.result_backend = url
    try:
        yield
    finally:
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)
        app.conf.result_backend = saved


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.kill()


@pytest.fixture
def on_private_redis(private_redis, settings):
    """Cache, broker and result store on the private Redis, eager mode off: `.delay()` and
    the outbox really talk to it."""
    from bzpeer.celery import app

    settings.CACHES = {"default": redis_cache(private_redis.url(1))}
    outbox.broker_state_forget()
    with sending_to(app, private_redis.url(0)), result_backend(app, private_redis.url(0)):
        yield app
    outbox.broker_state_forget()


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_with_redis_down_pages_and_actions_answer_and_owed_work_runs_when_it_is_back(
    on_private_redis, private_redis, make_author, make_account, make_owned, tmp_path
):
    app = on_private_redis
    followed, to_claim = make_author(), make_author()
    invited = make_author(open_to_collaborate=True)
    owner, sender = make_account(), make_account()
    make_owned(invited, owner)
    member = make_account("member@example.org", password=PASSWORD)
    invitation = Invitation.objects.create(
        author=invited, sender=member, recipient=owner, subject="Hi", message="Let us talk"
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.save()
    thread = Conversation.objects.create(
        invitation=invitation, author=invited, starter=member, owner=owner
    )

    private_redis.kill()

    anonymous = Client()
    assert anonymous.get(followed.get_absolute_url()).status_code == 200
    assert (
        anonymous.get(f"/researchers/{followed.slug}/graph/", HTTP_HX_REQUEST="true").status_code
        == 200
    )
    login = anonymous.post(
        "/accounts/login/", {"login": "member@example.org", "password": PASSWORD}
    )
    assert login.status_code == 302
    assert anonymous.session.get("_auth_user_id") == str(member.pk)
    signup = Client().post(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert signup.status_code == 302
    assert get_user_model().objects.filter(email="new@example.org").exists()
    reset = Client().post("/accounts/password/reset/", {"email": "member@example.org"})
    assert reset.status_code == 302
    assert any("/accounts/password/reset/key/" in m.body for m in mail.outbox)

    signed_in = _logged_in(sender)
    assert signed_in.get(followed.get_absolute_url()).status_code == 200
    assert signed_in.post(f"/researchers/{followed.slug}/follow/").status_code == 302
    claim = signed_in.post(
        f"/researchers/{to_claim.slug}/claim/", {"route": "evidence", "note": "It is me"}
    )
    assert claim.status_code == 302
    invite = signed_in.post(
        f"/researchers/{invited.slug}/invite/", {"subject": "Data", "message": "Shall we?"}
    )
    assert invite.status_code == 302
    message = anonymous.post(thread.get_absolute_url(), {"body": "Tuesday works"})
    assert message.status_code == 302

    # Everything the requests wrote is there; what they owe the workers waits in PostgreSQL.
    assert Follow.objects.filter(user=sender, author=followed).exists()
    assert DirtyAuthor.objects.filter(author=followed).exists()
    assert Claim.objects.filter(user=sender, author=to_claim, status="pending").exists()
    sent = Invitation.objects.get(sender=sender)
    said = Message.objects.get(body="Tuesday works")
    assert sorted(OutboxTask.objects.values_list("task", "args")) == [
        ("profiles.tasks.invitation_notify", [sent.pk]),
        ("profiles.tasks.message_notify", [said.pk]),
        ("profiles.tasks.staff_waiting_notify", [f"A claim on {to_claim}"]),
    ]

    private_redis.start()
    log = tmp_path / "worker.log"
    worker = start_worker(
        app, name="bzpeer-redis-back", redis_url=private_redis.url(0), log_path=log
    )
    try:
        # What beat sends every few seconds: the outbox drain and the trust engine's sweep.
        schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
        for task in (outbox_tasks.outbox_drain, trust_dirty_recompute):
            assert task.name in schedule
            task.apply_async()
        wait_for(lambda: not OutboxTask.objects.exists(), what="the outbox to drain")
        wait_for(lambda: not DirtyAuthor.objects.exists(), what="the dirty authors")

        # both emails, whatever else the worker finished before them (the outbox also
        # sends staff_waiting_notify: counting "succeeded" lines raced with the last one)
        def both_emails_sent() -> str | None:
            t = log.read_text()
            names = ("invitation_notify", "message_notify")
            return t if all(re.search(rf"{n}\[[^\]]+\] succeeded", t) for n in names) else None

        text = wait_for(both_emails_sent, what="the two emails to be sent")
    finally:
        stop_worker(worker)
    assert re.search(r"invitation_notify\[[^\]]+\] succeeded in [^:]+: True", text)
    assert re.search(r"message_notify\[[^\]]+\] succeeded in [^:]+: True", text)
    followed.refresh_from_db()
    assert followed.followers_count == 1
    assert followed.trust_computed_at is not None
    factors = {f["key"]: f for f in followed.trust_snapshots.latest("pk").factors}
    assert factors["community"]["value"] == 1  # the follow made during the outage counts


def test_outbox_row_rolls_back_with_its_change_and_waits_while_the_broker_is_away(
    on_private_redis, private_redis, make_author
):
    private_redis.kill()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue_on_commit(invitation_notify, 1)
        raise RuntimeError("the change fails")
    assert not OutboxTask.objects.exists()

    with transaction.atomic():
        outbox.enqueue_on_commit(invitation_notify, 2)
    assert list(OutboxTask.objects.values_list("args", flat=True)) == [[2]]
    assert outbox.outbox_drain() == 0  # still away: nothing lost, nothing sent

    private_redis.start()
    assert outbox.outbox_drain() == 1
    assert not OutboxTask.objects.exists()
    assert private_redis.client().llen("default") == 1  # one message, on invitation_notify's queue


def test_tasks_that_requests_send_never_touch_the_result_store():
    """Subscribing to a result in a Redis that is away held each follow for 19 s, then
    failed it: fire-and-forget tasks keep no result."""
    from graph.tasks import graph_slices_precompute
    from profiles import tasks as accounts_tasks
    from works.tasks import import_batch_run

    sent_by_requests = [
        accounts_tasks.invitation_notify,
        accounts_tasks.invitation_answered_notify,
        accounts_tasks.message_notify,
        trust_dirty_recompute,
        graph_slices_precompute,
        import_batch_run,
        outbox_tasks.outbox_drain,
    ]
    assert [task.name for task in sent_by_requests if not task.ignore_result] == []
