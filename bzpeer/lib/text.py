"""Turning source text (LaTeX in titles and abstracts) into plain text, and title keys."""

from __future__ import annotations

import functools
import re

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from bzpeer.lib.names import normalize_name

# \url{…} shows the address itself, so that urlize can make it a link.
_latex_context = get_default_latex_context_db().filter_context(keep_categories=None)
_latex_context.add_context_category(
    "bzpeer-links",
    prepend=True,
    macros=[MacroTextSpec("url", simplify_repl="%s"), MacroTextSpec("href", simplify_repl="%s")],
)
_converter = LatexNodes2Text(
    latex_context=_latex_context, math_mode="text", strict_latex_spaces=True
)

# Abstracts are prose, not LaTeX documents: "4%-7%" is a percentage, not a comment, and a
# lone "$5" is money, not the start of a formula.
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_LATEX_HINT = re.compile(r"[\\${}~%^_]")


@functools.lru_cache(maxsize=8192)
def latex_to_text(source: str) -> str:
    """'Up to 100$\\times$ Faster' → 'Up to 100× Faster'; plain text passes through."""
    if not source or not _LATEX_HINT.search(source):
        return source
    prepared = _UNESCAPED_PERCENT.sub(r"\\%", source)
    if len(_UNESCAPED_DOLLAR.findall(prepared)) % 2:
        prepared = _UNESCAPED_DOLLAR.sub(r"\\$", prepared)
    try:
        text = _converter.latex_to_text(prepared)
    except Exception:  # pylatexenc is lenient; anything it still rejects is shown as written
        return source
    return text.replace("\xa0", " ").strip()


def title_key(title: str) -> str:
    """The normalised title used to match works that share no persistent id."""
    text = latex_to_text(title).replace("×", "x")
    return normalize_name(text)[:255]
