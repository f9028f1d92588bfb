"""What the owner of a record may change about it: bio, openness to collaborate, featured
works, visibility, and "not mine" on a work (an admin decides it).

Every write checks on the server that the user owns the record (an approved claim); the
errors are ClaimError, shown to the user as they are.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from works.models import Author, Authorship, Work

from .claims import ClaimError, require_reviewer, staff_tell
from .curation import authorships_split
from .models import Claim, FeaturedWork, WorkHiddenRequest

MAX_FEATURED_WORKS = 3


def _require_owner(author: Author, user) -> Claim:
    claim = Claim.objects.filter(author=author, user=user, status=Claim.Status.APPROVED).first()
    if claim is None:
        raise ClaimError("Only the record's owner can do this.")
    return claim


@transaction.atomic
def author_owner_update(
    *, author: Author, user, bio: str, open_to_collaborate: bool, featured_work_ids: list[int]
) -> None:
    """Bio, open to collaborate and featured works: nothing else is the owner's to edit."""
    _require_owner(author, user)
    Author.objects.filter(pk=author.pk).update(
        bio=bio.strip(), open_to_collaborate=open_to_collaborate, updated_at=timezone.now()
    )
    ids = list(dict.fromkeys(featured_work_ids))[:MAX_FEATURED_WORKS]
    valid = set(
        Work.objects.filter(pk__in=ids, authorships__author=author).values_list("pk", flat=True)
    )
    FeaturedWork.objects.filter(author=author).delete()
    FeaturedWork.objects.bulk_create(
        FeaturedWork(author=author, work_id=pk, position=i)
        for i, pk in enumerate(pk for pk in ids if pk in valid)
    )


@transaction.atomic
def author_visibility_set(*, author: Author, user, hidden: bool) -> None:
    """Consent: the owner takes the profile off public pages and lists, or back."""
    _require_owner(author, user)
    Author.objects.filter(pk=author.pk).update(hidden=hidden, updated_at=timezone.now())
    # The author is a node in co-authors' graph slices: those are redrawn without it.
    authors_changed_announce([author.pk], why=Why.PROFILE, sender=author_visibility_set)


@transaction.atomic
def work_not_mine(*, author: Author, user, work: Work, note: str) -> WorkHiddenRequest:
    """Hides the work from the owner's profile until an admin reviews the request."""
    _require_owner(author, user)
    authorship = Authorship.objects.filter(work=work, author=author).first()
    if authorship is None:
        raise ClaimError("This work is not on your record.")
    existing = WorkHiddenRequest.objects.filter(
        author=author, work=work, status=WorkHiddenRequest.Status.PENDING
    ).first()
    if existing:
        return existing
    # the profile's works list changes: its cached page must not be served again
    Author.objects.filter(pk=author.pk).update(updated_at=timezone.now())
    try:
        with transaction.atomic():
            hidden = WorkHiddenRequest.objects.create(
                author=author, work=work, authorship=authorship, requested_by=user, note=note
            )
    except IntegrityError:
        return WorkHiddenRequest.objects.get(
            author=author, work=work, status=WorkHiddenRequest.Status.PENDING
        )
    staff_tell(f"A \u201cnot mine\u201d request on {author}")
    return hidden


@transaction.atomic
def work_hidden_request_decide(
    *, request_id: int, admin, approve: bool, note: str = ""
) -> WorkHiddenRequest:
    """Approved: the authorship is split off the record (a new L1 author gets it, sticky
    across re-imports, audit-logged). Rejected: the work shows on the profile again."""
    request = WorkHiddenRequest.objects.select_for_update().get(pk=request_id)
    require_reviewer(request.requested_by_id, admin)
    if request.status != WorkHiddenRequest.Status.PENDING:
        raise ClaimError("This request was already decided.")
    if approve:
        authorship = request.authorship
        if authorship is not None and authorship.author_id == request.author_id:
            authorships_split(
                authorships=[authorship],
                user=admin,
                reason=f"Not mine, owner's request {request.pk}: {note}"[:255],
            )
    request.status = (
        WorkHiddenRequest.Status.APPROVED if approve else WorkHiddenRequest.Status.REJECTED
    )
    request.decision_reason = note[:255]
    request.decided_by = admin
    request.decided_at = timezone.now()
    request.save()
    return request
