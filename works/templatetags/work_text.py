"""Showing imported text: titles and abstracts keep their source markup in the database.

Imported text is untrusted. `latex_text` and `person_name` return plain text, escaped by
autoescape like any other value; `rich_title` and `rich_abstract` return HTML that
bzpeer.lib.text.rich_text built from escaped text and a fixed set of bare tags, so they
alone are marked safe.
"""

from django import template
from django.utils.safestring import mark_safe

from bzpeer.lib import names
from bzpeer.lib.text import plain_text, rich_text
from works.imports.records import OTHERS

register = template.Library()


@register.filter(is_safe=False)
def latex_text(value: object) -> str:
    """`{{ work.title|latex_text }}`: the title as plain text (markup dropped, entities
    decoded, LaTeX rendered) for <title>, meta descriptions and e-mails; still escaped."""
    if value is None or value == "":
        return ""
    return plain_text(str(value))


@register.filter
def rich_title(value: object) -> str:
    """A title as HTML: italics, bold, sub- and superscripts kept, everything else text."""
    return mark_safe(rich_text(str(value or "")))  # noqa: S308 - rich_text escapes the text


@register.filter
def rich_abstract(value: object) -> str:
    """An abstract as HTML: the title's inline tags plus paragraphs (JATS abstracts)."""
    return mark_safe(rich_text(str(value or ""), paragraphs=True))  # noqa: S308 - as above


@register.filter(is_safe=False)
def person_name(value: object) -> str:
    """A printed name as "First Last" ("Li, Haoling" → "Haoling Li"), invisible controls
    removed; see bzpeer.lib.names.person_name."""
    return names.person_name(str(value or ""))


@register.filter(is_safe=False)
def http_url(value: object) -> str:
    """Imported URLs reach href only as http(s): never "javascript:…" from a bad record."""
    url = str(value or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


@register.simple_tag
def byline(work) -> dict:
    """The names a list shows for a work (see WorkQuerySet.for_listing): each with whether
    names were left out before it ("…"), how many are left out after the last, and whether
    the source said it left co-authors out (`unlisted`: BibTeX "and others", a publication
    list that names only its owner, an OpenAlex byline it truncated)."""
    shown = getattr(work, "byline", None)
    if shown is None:  # a work not loaded through for_listing: its whole byline
        shown = list(work.authorships.all())
    names_shown, previous, unlisted = [], -1, getattr(work, "byline_unlisted", False)
    others_at = None
    for authorship in shown:
        if authorship.author_id is None and authorship.raw_author_name == OTHERS:
            unlisted, others_at = True, authorship.position
            continue
        names_shown.append((authorship, authorship.position > previous + 1))
        previous = authorship.position
    # named slots up to the last name shown; authors_total counts named slots only
    named_so_far = previous + 1 - (1 if others_at is not None and others_at < previous else 0)
    total = getattr(work, "authors_total", None)
    if total is None:
        total = len(names_shown)
    return {"names": names_shown, "more": max(total - named_so_far, 0), "unlisted": unlisted}
