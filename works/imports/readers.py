"""Streaming readers: raw records with the line they start on, never a whole file in memory."""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .records import RawRecord

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_CHARS = 1 << 20
# A record larger than this is malformed (a missing quote swallowing the file), not data.
MAX_RECORD_CHARS = 64 << 20

_WHITESPACE = re.compile(r"[ \t\r\n]*")


@dataclass(frozen=True)
class BadRecord:
    """A record the reader could not decode; `fatal` when the rest of the file is lost too."""

    line: int
    index: int
    message: str
    fatal: bool = False


class FileTooLarge(ValueError):
    pass


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


def open_text(path: str | Path, *, max_bytes: int | None = None) -> io.TextIOBase:
    """Opens plain or gzipped UTF-8 text, detected by content rather than by name."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    gzipped = raw.read(2) == GZIP_MAGIC
    raw.seek(0)
    binary: BinaryIO = gzip.GzipFile(fileobj=raw) if gzipped else raw
    capped = io.BufferedReader(_CappedReader(binary, max_bytes))
    return io.TextIOWrapper(capped, encoding="utf-8", errors="strict", newline="")


class _JsonStream:
    """Decodes JSON values one after another from a text stream, tracking line numbers."""

    def __init__(self, text: io.TextIOBase) -> None:
        self.text = text
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

    def remaining_lines(self) -> Iterator[str]:
        """The rest of the stream line by line, starting at the current position."""
        pending = self.buf[self.pos :]
        self.buf, self.pos = "", 0
        for line in self.text:
            if pending:
                line, pending = pending + line, ""
                yield from line.splitlines(keepends=True)[:-1]
                line = line.splitlines(keepends=True)[-1]
            yield line
        yield from pending.splitlines(keepends=True)

    def decode(self) -> object:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos < MAX_RECORD_CHARS and self._fill():
                    continue
                error_line = self.line + self.buf.count("\n", self.pos, exc.pos)
                if self.eof and not self.buf[exc.pos :].strip():
                    # truncated: the line the record starts on is the one to look at
                    message = f"the file ends at line {error_line} before this record does"
                    raise _Undecodable(message, self.line) from exc
                raise _Undecodable(exc.msg, error_line) from exc
            self._advance(end)
            return value


class _Undecodable(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def read_json_records(
    path: str | Path, *, max_bytes: int | None = None
) -> Iterator[RawRecord | BadRecord]:
    """Yields the records of a JSON array file or a JSON Lines file (one object a line).

    A JSON Lines line that does not decode is reported and the next line read; in an array a
    syntax error loses the rest of the file, so it is reported as fatal.
    """
    with open_text(path, max_bytes=max_bytes) as text:
        stream = _JsonStream(text)
        index = 0
        try:
            if stream.peek() == "[":
                yield from _read_array(stream)
                return
            decoder = json.JSONDecoder()
            for line_number, line in enumerate(stream.remaining_lines(), start=stream.line):
                if not line.strip():
                    continue
                index += 1
                try:
                    yield RawRecord(line=line_number, index=index, data=decoder.decode(line))
                except json.JSONDecodeError as exc:
                    yield BadRecord(line_number, index, f"invalid JSON: {exc.msg}")
        except UnicodeDecodeError as exc:
            yield BadRecord(stream.line, index + 1, f"invalid UTF-8 ({exc.reason})", fatal=True)
        except FileTooLarge as exc:
            yield BadRecord(stream.line, index + 1, str(exc), fatal=True)


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
            value = stream.decode()
        except _Undecodable as exc:
            yield BadRecord(exc.line, index, f"invalid JSON: {exc.message}", fatal=True)
            return
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
