"""A curator's edit of a work in the admin shows at once on its authors' profiles."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.core.cache import cache
from django.test import RequestFactory

from bzpeer.lib.versions import author_version
from works.models import Work

pytestmark = pytest.mark.django_db(transaction=True)  # the bump runs on commit


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield


def test_work_admin_save_gives_its_authors_a_new_data_version(
    client, make_author, make_work, make_user
):
    author, other = make_author(), make_author()
    work = make_work(authors=[author, other], title="Before the curator")
    viewer = make_user()
    client.force_login(viewer)
    assert "Before the curator" in client.get(author.get_absolute_url()).content.decode()
    versions = (author_version(author.pk), author_version(other.pk))

    work.title = "After the curator"
    work.save()
    admin = site._registry[Work]
    request = RequestFactory().post("/admin/")
    request.user = viewer
    form = admin.get_form(request, work)(instance=work)
    form.save_m2m = lambda: None  # what form.save(commit=False) sets up; the work has no m2m
    admin.save_related(request, form, formsets=[], change=True)

    assert (author_version(author.pk), author_version(other.pk)) != versions
    assert "After the curator" in client.get(author.get_absolute_url()).content.decode()


def test_work_admin_delete_gives_its_authors_a_new_data_version(make_author, make_work, make_user):
    author = make_author()
    work = make_work(authors=[author])
    version = author_version(author.pk)
    request = RequestFactory().post("/admin/")
    request.user = make_user()

    site._registry[Work].delete_model(request, work)

    assert author_version(author.pk) != version
