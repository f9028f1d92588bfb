"""What the works app asks of the apps above it, without importing them."""

from django.dispatch import Signal

# Sent before a batch's undo deletes the authors it created, with author_ids (a set).
# Each receiver returns a list of reasons, in words, why they cannot go (empty: they can);
# profiles answers for follows and claims.
authors_deletion_blockers = Signal()
