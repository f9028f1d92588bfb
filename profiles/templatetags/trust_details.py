"""{% author_trust_details author as trust %}: the data of templates/profiles/_trust_details.html.

A tag rather than a view variable so the include is self-contained: the profile page adds
one {% include %} line and one query (profiles.selectors.author_trust_details).
"""

from django import template

from profiles import selectors

register = template.Library()


@register.simple_tag
def author_trust_details(author) -> selectors.TrustDetails:
    return selectors.author_trust_details(author)
