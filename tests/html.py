"""Reading rendered pages in tests: the visible text, in document order."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SPACES = re.compile(r"\s+")


class _TextParser(HTMLParser):
    SKIP = {"head", "script", "style", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str | bytes) -> str:
    """The text a reader sees, whitespace collapsed to single spaces."""
    if isinstance(html, bytes):
        html = html.decode()
    parser = _TextParser()
    parser.feed(html)
    return _SPACES.sub(" ", " ".join(parser.parts)).strip()
