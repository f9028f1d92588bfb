from django import template

from profiles.review_queues import review_queues as queues

register = template.Library()


@register.simple_tag
def review_queues():
    """{% review_queues as queues %} on the admin index: what waits for a curator."""
    return queues()
