"""A curator's rename in the admin reaches the cached pages of the author's co-authors."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.core.cache import cache
from django.test import RequestFactory

from bzpeer.lib.versions import author_version

pytestmark = pytest.mark.django_db(transaction=True)  # the bump runs on commit


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield


def test_author_admin_rename_gives_its_coauthors_a_new_data_version(
    make_author, make_work, make_user
):
    """The name shows in co-authors' graphs (bylines keep the name as printed)."""
    from works.models import Author

    renamed, coauthor, stranger = make_author("Old Name"), make_author(), make_author()
    make_work(authors=[coauthor, renamed])
    versions = {a.pk: author_version(a.pk) for a in (renamed, coauthor, stranger)}
    admin = site._registry[Author]
    request = RequestFactory().post("/admin/")
    request.user = make_user()
    renamed.display_name = "New Name"
    form = admin.get_form(request, renamed)(instance=renamed)
    form.changed_data = ["display_name"]  # what the bound form would report

    admin.save_model(request, renamed, form, change=True)

    assert author_version(renamed.pk) != versions[renamed.pk]
    assert author_version(coauthor.pk) != versions[coauthor.pk]
    assert author_version(stranger.pk) == versions[stranger.pk]
