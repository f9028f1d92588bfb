from __future__ import annotations

from django import forms
from django.http import QueryDict

from .kinds import KIND_LABELS, NODE_KINDS

FILTER_KEYS = ("show", "from", "to", "min_shared", "depth")


class ExploreFilterForm(forms.Form):
    """The explorer's filters, read from the query string (a GET form, no JS needed).

    No `show` at all means every node type (unticking them all would leave only the
    centre, which explores nothing).
    """

    show = forms.MultipleChoiceField(
        label="Node types",
        choices=[(kind, KIND_LABELS[kind].capitalize()) for kind in NODE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    year_from = forms.IntegerField(min_value=1800, max_value=2100, required=False)
    year_to = forms.IntegerField(min_value=1800, max_value=2100, required=False)
    min_shared = forms.IntegerField(
        label="Minimum shared works", min_value=1, max_value=50, required=False
    )
    depth = forms.TypedChoiceField(
        label="Depth",
        choices=[(1, "1: co-authors"), (2, "2: and their co-authors")],
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, query: QueryDict) -> None:
        self.submitted = any(key in query for key in FILTER_KEYS)
        data = query.copy()
        if not data.getlist("show"):
            data.setlist("show", list(NODE_KINDS))
        super().__init__(data)

    def add_prefix(self, field_name: str) -> str:
        # The query string's short names ("from", "to") for the year fields.
        return {"year_from": "from", "year_to": "to"}.get(field_name, field_name)

    def filters(self) -> dict:
        """Keyword arguments for presets.explorer_params; an invalid value is left out
        (its default applies) rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out: dict = {"kinds": data.get("show") or list(NODE_KINDS)}
        for name in ("year_from", "year_to", "min_shared", "depth"):
            if data.get(name):
                out[name] = data[name]
        return out
