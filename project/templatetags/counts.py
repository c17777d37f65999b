"""{% load counts %}{% counts_freshness %}: how fresh the usage figures on a page are."""

from django import template

from project.client_cache import client_cache

register = template.Library()

BUFFERED = "Counted as they happen and written every minute: these figures can be up to a minute behind."


@register.simple_tag
def counts_freshness() -> str:
    """The sentence a page with validation or usage counts shows; empty when they are written at once."""
    return BUFFERED if client_cache() is not None else ""
