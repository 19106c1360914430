"""Citations: `[ref:KEY]` names a source in the course's reference list.

Used by the question bank's rationales and by the course's clinical notes; the
reference list itself belongs to the course (its model offers
`get_references_url()` and `reference_keys()`).
"""

import re

from django.utils.html import escape

REF_RE = re.compile(r"\[ref:([a-z0-9][a-z0-9.-]*)\]")


def cited(text):
    return REF_RE.findall(text or "")


def link_references(html, references_url):
    """Replace each `[ref:KEY]` in already-escaped HTML with a link to the reference."""

    def link(match):
        key = match.group(1)
        return (
            f'<a class="ref" href="{escape(references_url)}#ref-{key}">'
            f'<span class="visually-hidden">Reference: </span>[{key}]</a>'
        )

    return REF_RE.sub(link, html)
