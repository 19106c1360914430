from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from quizzes.citations import link_references

register = template.Library()


def _url(course):
    url = getattr(course, "get_references_url", None)
    return url() if url else ""


@register.filter(needs_autoescape=True)
def cite(text, course, autoescape=True):
    """Plain text with its `[ref:KEY]` markers as links to the course's references."""
    text = conditional_escape(text) if autoescape else text
    url = _url(course)
    return mark_safe(link_references(str(text), url) if url else text)


@register.filter
def cite_html(html, course):
    """Trusted HTML (rendered notes) with its `[ref:KEY]` markers as links."""
    url = _url(course)
    return mark_safe(link_references(html, url) if url else html)
