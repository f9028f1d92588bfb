from django import template

from profiles.selectors import record_provenance

register = template.Library()


@register.filter
def provenance(record):
    """{% with p=author|provenance %}: see profiles.selectors.record_provenance."""
    return record_provenance(record)
