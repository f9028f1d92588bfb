"""The profiles app's models, one module per subject; every model is importable from here."""

from __future__ import annotations

from .accounts import UserProfile
from .claims import AdminDecision, Claim, ClaimDispute
from .collaboration import Conversation, Invitation, Message
from .curation import AuthorAuditLog
from .follows import Follow
from .owner import FeaturedWork, WorkHiddenRequest
from .sessions import UserSession
from .trust import DirtyAuthor, TrustSnapshot

__all__ = [
    "AdminDecision",
    "AuthorAuditLog",
    "Claim",
    "ClaimDispute",
    "Conversation",
    "DirtyAuthor",
    "FeaturedWork",
    "Follow",
    "Invitation",
    "Message",
    "TrustSnapshot",
    "UserProfile",
    "UserSession",
    "WorkHiddenRequest",
]
