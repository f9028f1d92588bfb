"""Forms of the account pages: claims, owner edits, invitations, messages, the digest.

Plain forms.Form with the fields a user may set and nothing else: a POST that adds
verification_level, user or status is not read (no ModelForm over Author or Claim).
"""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator

from .claims import MAX_EVIDENCE_LINKS
from .collaboration import MAX_INVITATION_LENGTH, MAX_MESSAGE_LENGTH, MAX_SUBJECT_LENGTH
from .models import Claim
from .owner import MAX_FEATURED_WORKS

NOTE_LENGTH = 2000
BIO_LENGTH = 2000


class EvidenceClaimForm(forms.Form):
    links = forms.CharField(
        label="Links that show this record is yours",
        help_text=(
            f"Up to {MAX_EVIDENCE_LINKS}, one a line: your page at your institution, "
            "a lab page listing you, a publisher's author page."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )
    note = forms.CharField(
        label="A note for the reviewer",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_LENGTH,
    )

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(lines) > MAX_EVIDENCE_LINKS:
            raise forms.ValidationError(f"Give at most {MAX_EVIDENCE_LINKS} links.")
        validate = URLValidator(schemes=["http", "https"])
        for line in lines:
            validate(line)
        return lines


class DisputeForm(forms.Form):
    note = forms.CharField(
        label="Why this claim is wrong",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_LENGTH,
    )


class OwnerEditForm(forms.Form):
    bio = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=BIO_LENGTH, required=False
    )
    open_to_collaborate = forms.BooleanField(required=False)
    featured = forms.TypedMultipleChoiceField(
        label="Featured works",
        help_text=f"Up to {MAX_FEATURED_WORKS}, shown first on your profile.",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, works=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["featured"].choices = [(w.pk, w.title) for w in works]

    def clean_featured(self) -> list[int]:
        featured = self.cleaned_data["featured"]
        if len(featured) > MAX_FEATURED_WORKS:
            raise forms.ValidationError(f"Choose at most {MAX_FEATURED_WORKS} works.")
        return featured


class NotMineForm(forms.Form):
    note = forms.CharField(
        label="What is wrong (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_LENGTH,
        required=False,
    )


class InvitationForm(forms.Form):
    subject = forms.CharField(max_length=MAX_SUBJECT_LENGTH)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=MAX_INVITATION_LENGTH
    )

    def clean_subject(self) -> str:
        # It becomes an email's Subject header: one line, or it would be cut at the break.
        subject = self.cleaned_data["subject"]
        if "\r" in subject or "\n" in subject:
            raise forms.ValidationError("The subject must be one line: remove the line breaks.")
        return subject


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_MESSAGE_LENGTH
    )


class DigestForm(forms.Form):
    follow_digest = forms.BooleanField(
        label="Email me a digest of new works by researchers I follow", required=False
    )


# --- admin decisions ---------------------------------------------------------------------

APPROVE_REASONS = [Claim.Reason.EVIDENCE_CONFIRMED, Claim.Reason.OTHER]
REJECT_REASONS = [
    Claim.Reason.INSUFFICIENT,
    Claim.Reason.MISMATCH,
    Claim.Reason.ALREADY_OWNED,
    Claim.Reason.OTHER,
]


class ClaimDecisionForm(forms.Form):
    APPROVE, REJECT, RAISE, REVOKE = "approve", "reject", "raise_l4", "revoke"
    decision = forms.ChoiceField(
        choices=[
            (APPROVE, "Approve (L2)"),
            (REJECT, "Reject"),
            (RAISE, "Raise an approved claim to L4 (documented review)"),
            (REVOKE, "Revoke an approved claim: the record loses its owner and level"),
        ],
        widget=forms.RadioSelect,
    )
    reason_code = forms.ChoiceField(
        choices=[("", "---------")]
        + [(r.value, r.label) for r in dict.fromkeys([*APPROVE_REASONS, *REJECT_REASONS])],
        required=False,
        help_text="Required to approve or reject; the claimant sees it.",
    )
    note = forms.CharField(
        max_length=255,
        required=False,
        help_text="Shown to the claimant. Required to raise to L4 (document the review) and "
        "to revoke (the reason).",
    )

    def clean(self) -> dict:
        data = super().clean()
        decision, reason = data.get("decision"), data.get("reason_code")
        if decision == self.APPROVE and reason not in APPROVE_REASONS:
            self.add_error("reason_code", "Choose a reason code for an approval.")
        if decision == self.REJECT and reason not in REJECT_REASONS:
            self.add_error("reason_code", "Choose a reason code for a rejection.")
        if decision == self.RAISE and not data.get("note", "").strip():
            self.add_error("note", "Document the review.")
        if decision == self.REVOKE and not data.get("note", "").strip():
            self.add_error("note", "Give the reason for revoking the claim.")
        return data


class ReviewDecisionForm(forms.Form):
    """Disputes and "not mine" requests: uphold/approve or dismiss/reject, with a note."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve / uphold"), ("reject", "Reject / dismiss")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(max_length=255, required=False)
