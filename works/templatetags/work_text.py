"""Showing imported text: titles and abstracts keep their LaTeX in the database."""

from django import template

from works.text import latex_to_text

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
