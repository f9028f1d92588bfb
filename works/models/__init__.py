"""The works app's models, one module a subject; import them from here."""

from .imports import (
    AuthorshipOverride,
    BatchChange,
    DuplicateWorkCandidate,
    ExactJSONEncoder,
    ImportBatch,
    ImportPart,
    StagedRecord,
    WorkRedirect,
)
from .people import Author, AuthorQuerySet, Institution, VerificationLevel, search_names_for
from .records import BYLINE_LENGTH, Authorship, Topic, Venue, Work, WorkQuerySet, WorkTopic

__all__ = [
    "Author",
    "AuthorQuerySet",
    "Authorship",
    "AuthorshipOverride",
    "BYLINE_LENGTH",
    "BatchChange",
    "DuplicateWorkCandidate",
    "ExactJSONEncoder",
    "ImportBatch",
    "ImportPart",
    "StagedRecord",
    "Institution",
    "Topic",
    "Venue",
    "VerificationLevel",
    "Work",
    "WorkQuerySet",
    "WorkRedirect",
    "WorkTopic",
    "search_names_for",
]
