"""Streaming readers: raw records with the line they start on, never a whole file in memory."""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson
from django.conf import settings

from .records import RawRecord

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_CHARS = 1 << 20

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_LINE_END = re.compile(r"\r\n|\r|\n")


def record_cap() -> int:
    """The largest record any reader holds, in characters of text (settings.
    IMPORT_MAX_RECORD_BYTES; a character is at least a byte). A bigger one is reported by
    line and index, never read whole: a missing quote swallowing the file, or a hostile
    1 GiB title, would otherwise cost that much memory here and again in PostgreSQL."""
    return settings.IMPORT_MAX_RECORD_BYTES


def too_large(limit: int) -> str:
    return (
        f"the record is larger than {limit:,} characters "
        "(the per-record cap, setting IMPORT_MAX_RECORD_BYTES)"
    )


@dataclass(frozen=True)
class BadRecord:
    """A record the reader could not decode; `fatal` when the rest of the file is lost too.

    `record` names it (its id) when the reader could tell.
    """

    line: int
    index: int
    message: str
    fatal: bool = False
    record: str = ""


class FileTooLarge(ValueError):
    pass


# what reading a damaged gzip file raises (a truncated stream, a bad CRC, not gzip after all)
CORRUPT_STREAM = (EOFError, gzip.BadGzipFile, zlib.error)


def corrupt_stream_message(exc: Exception) -> str:
    return f"the compressed file is damaged or cut short ({type(exc).__name__}: {exc})"


class _CappedReader(io.RawIOBase):
    """Stops a decompression bomb: refuses to hand out more than `limit` bytes."""

    def __init__(self, inner: BinaryIO, limit: int | None) -> None:
        self.inner, self.limit, self.seen = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        self.seen += len(data)
        if self.limit is not None and self.seen > self.limit:
            raise FileTooLarge(f"the file is larger than {self.limit:,} bytes once decompressed")
        buffer[: len(data)] = data
        return len(data)


def open_text(
    path: str | Path, *, max_bytes: int | None = None, errors: str = "strict"
) -> io.TextIOBase:
    """Opens plain or gzipped UTF-8 text, detected by content rather than by name.

    A leading byte order mark is dropped (utf-8-sig). `errors="surrogateescape"` lets a
    reader find bytes that are not UTF-8 itself (`bad_utf8`), so it can name the line and
    record they are in instead of failing where the decoder's read-ahead happened to be.
    """
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    gzipped = raw.read(2) == GZIP_MAGIC
    raw.seek(0)
    binary: BinaryIO = gzip.GzipFile(fileobj=raw) if gzipped else raw
    capped = io.BufferedReader(_CappedReader(binary, max_bytes))
    return io.TextIOWrapper(capped, encoding="utf-8-sig", errors=errors, newline="")


def _first_escaped_byte(text: str) -> int:
    """Where surrogateescape put the first byte that was not UTF-8 (-1: none).

    Encoding fails exactly at such a byte, and costs a few µs for a 13 KB OpenAlex record
    where a regular expression scan costs ten times that.
    """
    if text.isascii():
        return -1
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return -1


def bad_utf8(text: str) -> str:
    """'' when `text` (read with surrogateescape) was valid UTF-8, else what is wrong."""
    at = _first_escaped_byte(text)
    if at < 0:
        return ""
    column = at - text.rfind("\n", 0, at)
    return f"invalid UTF-8: byte 0x{ord(text[at]) - 0xDC00:02x} at column {column}"


def problem_line(start: int, text: str) -> int:
    """The line of the first byte that is not UTF-8 in a record starting on line `start`."""
    at = _first_escaped_byte(text)
    return start + text.count("\n", 0, at) if at >= 0 else start


def _unstorable(text: str) -> str:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "half of a UTF-16 surrogate pair (\\ud800-\\udfff escape)"
    return ""


def unstorable_field(value: object, path: str = "") -> tuple[str, str] | None:
    """(path, what) of the first string PostgreSQL cannot store, e.g. ("authorships[2].
    raw_author_name", "a NUL character (\\u0000)"); None when every string is fine."""
    if isinstance(value, str):
        return (path or "value", problem) if (problem := _unstorable(value)) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if problem := _unstorable(str(key)):
                return where, problem
            if (found := unstorable_field(item, where)) is not None:
                return found
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if (found := unstorable_field(item, f"{path}[{position}]")) is not None:
                return found
    return None


def record_problem(text: str, value: object) -> str:
    """What makes a decoded JSON record unusable though it parsed: bytes that are not UTF-8,
    a NUL character or a lone surrogate (PostgreSQL text holds neither). '' when nothing.
    Cheap when the text is clean: JSON can carry the last two only as escapes, so the walk
    over the decoded value runs only when the text has one."""
    if problem := bad_utf8(text):
        return problem
    escaped = "\\u0000" in text or "\\ud" in text or "\\uD" in text
    if escaped and (found := unstorable_field(value)) is not None:
        where, what = found
        return f"{what} in {where}: not allowed in text"
    return ""


def guess_label(value: object) -> str:
    """The record's own id when it has an obvious one (OpenAlex/arXiv "id", Crossref "DOI")."""
    if isinstance(value, dict):
        for key in ("id", "DOI", "doi"):
            if isinstance(value.get(key), str) and value[key]:
                return value[key][:200]
    return ""


class _JsonStream:
    """Decodes JSON values one after another from a text stream, tracking line numbers."""

    def __init__(self, text: io.TextIOBase, *, limit: int) -> None:
        self.text = text
        self.limit = limit
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.text.read(CHUNK_CHARS)
        if not data:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def _advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def peek(self) -> str:
        """The next non-blank character ('' at the end), consuming the blanks before it."""
        while True:
            self._advance(_WHITESPACE.match(self.buf, self.pos).end())
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def take(self) -> str:
        char = self.peek()
        self._advance(self.pos + 1)
        return char

    def skip_line(self) -> None:
        """Drops the rest of the current line (a broken JSON Lines record)."""
        while (end := self.buf.find("\n", self.pos)) < 0:
            self.pos = len(self.buf)
            if not self._fill():
                return
        self._advance(end + 1)

    def remaining_lines(self) -> Iterator[str | None]:
        """The rest of the stream line by line, starting at the current position; None for a
        line longer than `limit` characters, which is skipped without being held whole."""
        pending = self.buf[self.pos :]
        self.buf, self.pos = "", 0
        while pending:
            end = _LINE_END.search(pending)
            if end is None:
                break
            line, pending = pending[: end.end()], pending[end.end() :]
            yield line if len(line.rstrip("\r\n")) <= self.limit else None
        while True:
            head, pending = pending, ""
            if len(head) > self.limit:
                self._skip_line()
                yield None
                continue
            line = head + self.text.readline(self.limit + 1 - len(head))
            if not line:
                return
            if len(line) > self.limit and not line.endswith(("\n", "\r")):
                self._skip_line()
                yield None
                continue
            yield line

    def _skip_line(self) -> None:
        while (part := self.text.readline(CHUNK_CHARS)) and not part.endswith(("\n", "\r")):
            pass

    def decode(self) -> object:
        return self.decode_with_text()[0]

    def decode_with_text(self) -> tuple[object, str]:
        """The next JSON value and the text it was decoded from."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos <= self.limit and self._fill():
                    continue
                if len(self.buf) - self.pos > self.limit:
                    raise _Undecodable(too_large(self.limit), self.line, json=False) from exc
                error_line = self.line + self.buf.count("\n", self.pos, exc.pos)
                if self.eof and not self.buf[exc.pos :].strip():
                    # truncated: the line the record starts on is the one to look at
                    message = f"the file ends at line {error_line} before this record does"
                    raise _Undecodable(message, self.line) from exc
                raise _Undecodable(exc.msg, error_line) from exc
            if end - self.pos > self.limit:
                raise _Undecodable(too_large(self.limit), self.line, json=False)
            text = self.buf[self.pos : end]
            self._advance(end)
            return value, text


class _Undecodable(Exception):
    def __init__(self, message: str, line: int, *, json: bool = True) -> None:
        super().__init__(message)
        self.message, self.line = message, line
        self.json = json  # a JSON syntax error, not a record over the cap


def read_json_records(
    path: str | Path, *, max_bytes: int | None = None
) -> Iterator[RawRecord | BadRecord]:
    """Yields the records of a JSON array file or a JSON Lines file (one object a line).

    A JSON Lines line that does not decode is reported and the next line read; in an array a
    syntax error loses the rest of the file, so it is reported as fatal.
    """
    limit = record_cap()
    with open_text(path, max_bytes=max_bytes, errors="surrogateescape") as text:
        stream = _JsonStream(text, limit=limit)
        index = 0
        try:
            if stream.peek() == "[":
                yield from _read_array(stream)
                return
            lines = stream.remaining_lines()
            for found in json_lines_records(lines, first_line=stream.line, limit=limit):
                index = found.index
                yield found
        except CORRUPT_STREAM as exc:
            yield BadRecord(stream.line, index + 1, corrupt_stream_message(exc), fatal=True)
        except FileTooLarge as exc:
            yield BadRecord(stream.line, index + 1, str(exc), fatal=True)


def json_lines_records(
    lines: Iterable[str | None], *, first_line: int = 1, first_index: int = 1, limit: int = 0
) -> Iterator[RawRecord | BadRecord]:
    """The records of JSON Lines text given line by line (None: a line over the record cap,
    already skipped), numbered from first_line and first_index: a whole file
    (read_json_records) or one part of it (works.imports.staged).

    orjson decodes; a line it refuses goes to json, which either accepts what orjson does not
    (NaN, a lone surrogate escape, a huge integer: record_problem then judges) or names the
    error as every reader here does.
    """
    limit = limit or record_cap()
    index = first_index - 1
    for line_number, line in enumerate(lines, start=first_line):
        if line is None:
            index += 1
            yield BadRecord(line_number, index, too_large(limit))
            continue
        if not line.strip():
            continue
        index += 1
        if problem := bad_utf8(line):
            yield BadRecord(line_number, index, problem)
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:
                data = _json_decode(line)
            except json.JSONDecodeError as exc:
                yield BadRecord(line_number, index, f"invalid JSON: {exc.msg}")
                continue
        if problem := record_problem(line, data):
            yield BadRecord(line_number, index, problem, record=guess_label(data))
        else:
            yield RawRecord(line=line_number, index=index, data=data)


_json_decode = json.JSONDecoder().decode


def _read_array(stream: _JsonStream) -> Iterator[RawRecord | BadRecord]:
    stream.take()  # "["
    index = 0
    if stream.peek() == "]":
        return
    while True:
        index += 1
        stream.peek()
        start = stream.line
        try:
            value, text = stream.decode_with_text()
        except _Undecodable as exc:
            message = f"invalid JSON: {exc.message}" if exc.json else exc.message
            yield BadRecord(exc.line, index, message, fatal=True)
            return
        if problem := record_problem(text, value):
            yield BadRecord(problem_line(start, text), index, problem, record=guess_label(value))
        else:
            yield RawRecord(line=start, index=index, data=value)
        separator = stream.take()
        if separator == "]":
            if stream.peek():
                yield BadRecord(stream.line, index + 1, "unexpected data after the array", True)
            return
        if separator != ",":
            message = "the array ends too soon" if not separator else "expected ',' or ']'"
            if separator:
                message += f", found {separator!r}"
            yield BadRecord(stream.line, index + 1, f"invalid JSON: {message}", fatal=True)
            return
