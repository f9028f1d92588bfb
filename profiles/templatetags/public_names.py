from django import template

from profiles.public_names import public_name as name_of

register = template.Library()


@register.filter
def public_name(user) -> str:
    """{{ invitation.sender|public_name }}: see profiles.public_names."""
    return name_of(user)
