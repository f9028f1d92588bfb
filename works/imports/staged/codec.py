"""Parsed records ↔ bytes for the staging table: a typed, data-only encoding.

A record is the list of its fields tagged with its type; nested records and tuples the same
way; dates as ISO text. Decoding builds only the record types below (never arbitrary
objects, as pickle would), so a staging row can change no more than a record could.
"""

from __future__ import annotations

import dataclasses
import datetime

import orjson

from ..records import (
    AuthorRecord,
    AuthorshipRecord,
    InstitutionRecord,
    ParsedRecord,
    TopicAssignment,
    TopicRecord,
    VenueRecord,
    WorkRecord,
)

TYPES = (
    WorkRecord,
    AuthorRecord,
    InstitutionRecord,
    VenueRecord,
    TopicRecord,
    AuthorshipRecord,
    TopicAssignment,
)
_TAG = {kind: tag for tag, kind in enumerate(TYPES)}
_FIELDS = {kind: tuple(f.name for f in dataclasses.fields(kind)) for kind in TYPES}
_DATE = len(TYPES)  # the tag of a date


def encode(record: ParsedRecord) -> bytes:
    return orjson.dumps(_plain(record))


def decode(data: bytes) -> ParsedRecord:
    return _built(orjson.loads(data))


def _plain(value):
    kind = type(value)
    if kind in _TAG:
        return {"t": _TAG[kind], "v": [_plain(getattr(value, name)) for name in _FIELDS[kind]]}
    if kind is tuple:
        return [_plain(item) for item in value]
    if kind is datetime.date:
        return {"t": _DATE, "v": value.isoformat()}
    return value


def _built(value):
    kind = type(value)
    if kind is dict:
        tag = value["t"]
        if tag == _DATE:
            return datetime.date.fromisoformat(value["v"])
        # the fields as they were: set directly, as unpickling a dataclass does, rather than
        # through a frozen dataclass's __init__ (one object.__setattr__ a field) and
        # __post_init__ (the names were cleaned when the record was parsed)
        record = object.__new__(TYPES[tag])
        record.__dict__.update(zip(_FIELDS[TYPES[tag]], map(_built, value["v"]), strict=True))
        return record
    if kind is list:
        return tuple(map(_built, value))
    return value
