"""Building and diffing model instances, as every entity module of the loader does."""

from __future__ import annotations

from django.db.models import Model


def apply_changes(instance, values: dict) -> dict[str, object]:
    """Sets the fields whose value differs; returns {name: previous value} of those."""
    changed = {}
    for name, value in values.items():
        previous = getattr(instance, name)
        if previous != value:
            setattr(instance, name, value)
            changed[name] = previous
    return changed


def new(model: type[Model], values: dict) -> Model:
    """model(**values) through Model.__init__'s positional path (the one from_db takes): a
    chunk builds thousands of instances, and the keyword path costs several times as much."""
    return model(
        *[
            values[f.attname] if f.attname in values else f.get_default()
            for f in model._meta.concrete_fields
        ]
    )


def field_names(model: type[Model], attnames) -> list[str]:
    """The field names bulk_update wants for attnames ("venue_id" → "venue", but
    "openalex_id" stays: that is a field's own name), sorted."""
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return sorted({by_attname[name] for name in attnames})
