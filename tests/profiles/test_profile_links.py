"""url_for: the memoised {% url %} of the links every page view builds."""

from __future__ import annotations

from django.urls import clear_script_prefix, reverse, set_script_prefix

from profiles.templatetags.profile_links import url_for


def test_url_for_gives_what_reverse_gives():
    for name, args in [
        ("profiles:home", ()),
        ("profiles:follow", ("mingli-song",)),
        ("profiles:follow", ("ada_lovelace-2",)),
        ("graph:slice", ("x",)),
        ("profiles:claim_detail", (42,)),
        ("profiles:claim_detail", (7,)),
        ("account_logout", ()),
    ]:
        assert url_for(name, *args) == reverse(name, args=args)


def test_url_for_follows_the_script_prefix():
    try:
        set_script_prefix("/bzpeer/")
        assert url_for("profiles:follow", "some-one") == "/bzpeer/researchers/some-one/follow/"
        assert url_for("profiles:home") == "/bzpeer/"
    finally:
        clear_script_prefix()
        set_script_prefix("/")
    assert url_for("profiles:follow", "some-one") == "/researchers/some-one/follow/"
