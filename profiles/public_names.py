"""The name other people see for a user: the researcher they are (the author record they own
through an approved claim), else the name they gave, else a neutral word. Never the
username or the email address."""

from __future__ import annotations

from .models import Claim

MEMBER = "A BZPEER member"


def public_names_load(users) -> None:
    """Sets the public name on each of these user objects in one query (lists of senders)."""
    users = [u for u in users if u is not None and getattr(u, "_public_name", None) is None]
    if not users:
        return
    researchers = dict(
        Claim.objects.filter(user_id__in={u.pk for u in users}, status=Claim.Status.APPROVED)
        .order_by("-decided_at", "-pk")  # the earliest claim wins: written last
        .values_list("user_id", "author__display_name")
    )
    for user in users:
        user._public_name = researchers.get(user.pk) or user.get_full_name().strip() or MEMBER


def public_name(user) -> str:
    """One query the first time for a given user object, none after (kept on the object)."""
    if user is None:
        return MEMBER
    cached = getattr(user, "_public_name", None)
    if cached is not None:
        return cached
    researcher = (
        Claim.objects.filter(user_id=user.pk, status=Claim.Status.APPROVED)
        .order_by("decided_at", "pk")
        .values_list("author__display_name", flat=True)
        .first()
    )
    name = researcher or user.get_full_name().strip() or MEMBER
    user._public_name = name
    return name
