"""Plain fixtures that make rows. Tests run against PostgreSQL and Redis (see Makefile)."""

from __future__ import annotations

import itertools

import pytest

from works.models import Author, Authorship, Topic, VerificationLevel, Work, WorkTopic

_counter = itertools.count(1)


@pytest.fixture
def make_author(db):
    def make(display_name: str | None = None, **fields) -> Author:
        n = next(_counter)
        display_name = display_name or f"Test Author {n}"
        fields.setdefault("slug", f"test-author-{n}")
        fields.setdefault("verification_level", VerificationLevel.L1)
        fields.setdefault("source", "openalex")
        return Author.objects.create(display_name=display_name, **fields)

    return make


@pytest.fixture
def make_topic(db):
    def make(name: str | None = None, **fields) -> Topic:
        n = next(_counter)
        fields.setdefault("source", Topic.Source.OPENALEX_TOPIC)
        fields.setdefault("external_id", f"T{n}")
        return Topic.objects.create(name=name or f"Topic {n}", **fields)

    return make


@pytest.fixture
def make_work(db):
    def make(
        authors: list[Author] = (), topics: list[Topic] = (), title: str | None = None, **fields
    ) -> Work:
        n = next(_counter)
        title = title or f"A study of things, part {n}"
        fields.setdefault("year", 2020)
        fields.setdefault("type", Work.Type.PREPRINT)
        work = Work.objects.create(title=title, title_key=title.casefold()[:255], **fields)
        Authorship.objects.bulk_create(
            Authorship(work=work, author=author, position=i, raw_author_name=author.display_name)
            for i, author in enumerate(authors)
        )
        WorkTopic.objects.bulk_create(WorkTopic(work=work, topic=topic) for topic in topics)
        return work

    return make


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str | None = None, **fields):
        username = username or f"user{next(_counter)}"
        # No password: hashing one costs ~100 ms, and tests log in with force_login.
        return django_user_model.objects.create_user(username=username, password=None, **fields)

    return make


@pytest.fixture
def eager_celery():
    """Tasks run in this process (as without Redis), so a task another task queues runs too."""
    from bzpeer.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved
