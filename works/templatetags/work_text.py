"""Showing imported text: titles and abstracts keep their LaTeX in the database."""

from django import template

from bzpeer.lib.text import latex_to_text

register = template.Library()


@register.filter(is_safe=False)
def latex_text(value: object) -> str:
    """`{{ work.title|latex_text }}`: LaTeX to plain text, still escaped by autoescape.

    Never marked safe: imported text is untrusted, so "<script>" stays text.
    """
    if value is None or value == "":
        return ""
    return latex_to_text(str(value))


@register.filter(is_safe=False)
def http_url(value: object) -> str:
    """Imported URLs reach href only as http(s): never "javascript:…" from a bad record."""
    url = str(value or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


@register.simple_tag
def byline(work) -> dict:
    """The names a list shows for a work (see WorkQuerySet.for_listing): each with whether
    names were left out before it ("…"), and how many are left out after the last."""
    shown = getattr(work, "byline", None)
    if shown is None:  # a work not loaded through for_listing: its whole byline
        shown = list(work.authorships.all())
    names, previous = [], -1
    for authorship in shown:
        names.append((authorship, authorship.position > previous + 1))
        previous = authorship.position
    total = getattr(work, "authors_total", None) or len(shown)
    return {"names": names, "more": max(total - previous - 1, 0)}
