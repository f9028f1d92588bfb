"""Source text (LaTeX, HTML/JATS markup in titles and abstracts) to what pages show, plain
text for matching and search, and title keys.

Titles and abstracts are stored as the source wrote them. Sources disagree on what they
write: arXiv and BibTeX write LaTeX, where "<" is a less-than sign; OpenAlex and Crossref
write HTML, where "&amp;" is "&" and "<i>" is italics (Crossref abstracts are JATS XML,
turned into HTML paragraphs by its importer). `looks_like_markup` tells them apart, and
`rich_text` / `plain_text` render either.
"""

from __future__ import annotations

import functools
import html
import re

import nh3
from django.utils.html import escape
from pylatexenc import latexwalker, macrospec
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from bzpeer.lib.names import normalize_name

# How macros read their arguments. pylatexenc does not know these; unknown, a macro's
# braced arguments are printed as text ("\phantom{\rule{0.3em}{0ex}}" → "0.3em0ex").
_walker_context = latexwalker.get_default_latex_context_db()
_walker_context.add_context_category(
    "bzpeer-layout",
    prepend=True,
    macros=[
        macrospec.MacroSpec("phantom", "{"),
        macrospec.MacroSpec("hphantom", "{"),
        macrospec.MacroSpec("vphantom", "{"),
        macrospec.MacroSpec("rule", "[{{"),
        macrospec.MacroSpec("href", "{{"),
    ],
)
# What they show: \url{…} and \href{…}{text} show text that urlize can still link; a phantom
# is the space it holds, a rule nothing.
_latex_context = get_default_latex_context_db().filter_context(keep_categories=None)
_latex_context.add_context_category(
    "bzpeer-links",
    prepend=True,
    macros=[
        MacroTextSpec("url", simplify_repl="%s"),
        MacroTextSpec("href", simplify_repl="%(2)s"),
        MacroTextSpec("phantom", simplify_repl=" "),
        MacroTextSpec("hphantom", simplify_repl=" "),
        MacroTextSpec("vphantom", simplify_repl=""),
        MacroTextSpec("rule", simplify_repl=""),
    ],
)
_converter = LatexNodes2Text(
    latex_context=_latex_context, math_mode="text", strict_latex_spaces=True
)

# Abstracts are prose, not LaTeX documents: "4%-7%" is a percentage, not a comment, and a
# lone "$5" is money, not the start of a formula.
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
# "R&D", "Smith & Jones": an ampersand in prose is a word, not LaTeX's column separator
_UNESCAPED_AMPERSAND = re.compile(r"(?<!\\)&")
_LATEX_HINT = re.compile(r"[\\${}~%^_]")
_MACRO_WITH_ARGUMENT = re.compile(r"\\([A-Za-z]+)\*?\s*[{\[]")
# what pylatexenc leaves when a macro misfires
_UNCLEAN = re.compile(r"%s|%\(\d\)s")


def _unknown_macro(source: str) -> bool:
    """Whether a macro with arguments is one neither pylatexenc context knows."""
    return any(
        _walker_context.get_macro_spec(name) is None and _latex_context.get_macro_spec(name) is None
        for name in _MACRO_WITH_ARGUMENT.findall(source)
    )


@functools.lru_cache(maxsize=8192)
def latex_to_text(source: str) -> str:
    """'Up to 100$\\times$ Faster' → 'Up to 100× Faster'; plain text passes through.

    A macro pylatexenc does not know would have its arguments run together
    ("\\foo{bar}{baz}" → "barbaz"); there the arguments are kept apart as words instead.
    """
    if not source or not _LATEX_HINT.search(source):
        return source
    prepared = _UNESCAPED_PERCENT.sub(r"\\%", source)
    prepared = _UNESCAPED_AMPERSAND.sub(r"\\&", prepared)
    if len(_UNESCAPED_DOLLAR.findall(prepared)) % 2:
        prepared = _UNESCAPED_DOLLAR.sub(r"\\$", prepared)
    if _unknown_macro(prepared):
        prepared = prepared.replace("}{", "} {")
    try:
        text = _converter.latex_to_text(prepared, latex_context=_walker_context)
    except Exception:  # pylatexenc is lenient; anything it still rejects is shown as written
        return source
    if _UNCLEAN.search(text) and not _UNCLEAN.search(source):
        return _readable(source)
    return text.replace("\xa0", " ").strip()


def _readable(source: str) -> str:
    """Last resort: the words of the LaTeX without macro names, braces or dollars."""
    text = re.sub(r"\\[A-Za-z]+\*?", " ", source)
    text = re.sub(r"[{}$]", " ", text)
    return " ".join(text.split())


# --- HTML in titles and abstracts ------------------------------------------------------------

# The inline tags that carry meaning in a title (a species in italics, H<sub>2</sub>O); an
# abstract may also have paragraphs. Everything else is dropped, its text kept.
INLINE_TAGS = frozenset({"i", "em", "b", "strong", "sub", "sup"})
ABSTRACT_TAGS = INLINE_TAGS | {"p"}
_KNOWN_TAG = re.compile(r"</(?:i|em|b|strong|sub|sup|p|[a-z]+:[a-z-]+)\s*>|<br\s*/?>", re.I)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.I)
_TAG = re.compile(r"(<[^>]*>)")
_PARAGRAPH = re.compile(r"</?p>")
# "in<i>R</i>": sources that lost the space before an italic word (OpenAlex titles do)
_GLUED_TAG = re.compile(r"(?<=[a-z,;:])(<(?:i|em|b|strong)>)(?=[A-Z])")
_JATS_TITLE = re.compile(r"<(?:jats:)?title[^>]*>.*?</(?:jats:)?title\s*>", re.I | re.S)
_JATS_RENAME = {"italic": "i", "bold": "b", "sub": "sub", "sup": "sup", "p": "p"}
_ANY_TAG = re.compile(r"<(/?)(?:[A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)[^>]*?(/?)>")


def looks_like_markup(text: str) -> bool:
    """HTML rather than LaTeX or plain text: it closes a tag we know, or has an entity.

    "a<b and c>d" (arXiv) is not markup; "in <i>R</i>" and "R&amp;D" (OpenAlex) are.
    """
    return (
        bool(text)
        and ("<" in text or "&" in text)
        and bool(_KNOWN_TAG.search(text) or _ENTITY.search(text))
    )


def _clean_html(text: str, tags: frozenset[str]) -> str:
    text = _GLUED_TAG.sub(r" \1", text)
    return nh3.clean(text, tags=set(tags), attributes={}, strip_comments=True, link_rel=None)


@functools.lru_cache(maxsize=4096)
def rich_text(value: str, *, paragraphs: bool = False) -> str:
    """Safe HTML for a title (or, with `paragraphs`, an abstract).

    Markup keeps only INLINE_TAGS (and <p>), entities decoded once; the text between tags,
    and text that is not markup at all, goes through `latex_to_text` and is escaped.
    """
    if not value:
        return ""
    if not looks_like_markup(value):
        text = latex_to_text(value)
        if paragraphs and "\n\n" in text:
            return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
        return str(escape(text))
    cleaned = _clean_html(value, ABSTRACT_TAGS if paragraphs else INLINE_TAGS)
    parts = _TAG.split(cleaned)
    for position in range(0, len(parts), 2):  # text between tags (nh3 leaves no stray "<")
        parts[position] = escape(latex_to_text(html.unescape(parts[position])))
    return "".join(parts).strip()


@functools.lru_cache(maxsize=8192)
def plain_text(value: str) -> str:
    """The words of a title or abstract, no markup, entities decoded, LaTeX rendered: what
    search and matching compare."""
    if not value:
        return ""
    if looks_like_markup(value):
        cleaned = _PARAGRAPH.sub(" ", _clean_html(value, ABSTRACT_TAGS))
        value = " ".join(html.unescape(_TAG.sub("", cleaned)).split())
    return latex_to_text(value)


def jats_to_html(jats: str) -> str:
    """A JATS abstract (Crossref) as HTML paragraphs: <jats:p> → <p>, <jats:italic> → <i>,
    <jats:bold> → <b>, sub/sup kept, an "Abstract" heading dropped (the page has one),
    other section titles kept as bold paragraphs, every other element unwrapped."""
    if not jats or "<" not in jats:
        return " ".join((jats or "").split())
    text = _JATS_TITLE.sub(_section_title, jats)

    def rename(match: re.Match) -> str:
        closing, name, _ = match.groups()
        tag = _JATS_RENAME.get(name.lower())
        if tag is None:
            return " " if name.lower() in ("sec", "list-item", "break") else ""
        return f"<{closing}{tag}>"

    text = _ANY_TAG.sub(rename, text)
    cleaned = _clean_html(text, ABSTRACT_TAGS)
    cleaned = re.sub(r"\s+", " ", cleaned)
    cleaned = re.sub(r"\s*(</?p>)\s*", r"\1", cleaned).replace("<p></p>", "")
    if "<p>" not in cleaned and cleaned.strip():
        cleaned = f"<p>{cleaned.strip()}</p>"
    return cleaned.strip()


def _section_title(match: re.Match) -> str:
    title = " ".join(_TAG.sub(" ", match.group(0)).split())
    if not title or title.rstrip(".:").lower() == "abstract":
        return ""
    return f"<jats:p><jats:bold>{title}</jats:bold></jats:p>"


def title_key(title: str) -> str:
    """The normalised title used to match works that share no persistent id."""
    text = plain_text(title).replace("×", "x")
    return normalize_name(text)[:255]
