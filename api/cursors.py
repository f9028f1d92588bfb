"""Opaque cursors: the position after the last item of a page, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json


class BadCursor(ValueError):
    """A cursor this API did not hand out."""


def cursor_encode(position: list) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str | None, *, length: int) -> list | None:
    """The position, or None for the first page; BadCursor when it is not ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor("The cursor is not one this API handed out.") from None
    if not isinstance(position, list) or len(position) != length:
        raise BadCursor("The cursor is not one this API handed out.")
    if not all(v is None or isinstance(v, int) for v in position):
        raise BadCursor("The cursor is not one this API handed out.")
    return position
