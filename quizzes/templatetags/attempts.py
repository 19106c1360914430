"""The attempt page's hottest markup, built in Python: an attempt of 20
questions has 100 options, and a template loop per option costs more than
the rest of the page."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

RULES = {
    "plus_minus": "Scoring: +1 for each right option you tick, −1 for each wrong one, never "
    "below 0; no penalty for leaving the question blank.",
    "all_or_nothing": "Scoring: all or nothing; the mark is given only when you tick exactly "
    "the right options.",
    "weights": "Scoring: partial credit; each right option adds to the mark and each wrong one "
    "takes away, never below 0.",
}


@register.simple_tag
def scoring_rule(question):
    """How a select-all-that-apply question is scored, stated before its options."""
    if not question["multiple"]:
        return ""
    rule = RULES.get(question["scoring"], RULES["weights"])
    return format_html('<span class="hint">Select all that apply. {}</span>', rule)


@register.simple_tag
def choice_inputs(question):
    """A question's options as labelled radio buttons or checkboxes, named by token."""
    kind = "checkbox" if question["multiple"] else "radio"
    pk, chosen = question["id"], question["selected"]
    checked = mark_safe(" checked")
    return format_html_join(
        "\n",
        '<div class="choice">\n  <input type="{}" name="r{}" id="r{}-{}" value="{}"{}>\n'
        '  <label for="r{}-{}">{}</label>\n</div>',
        (
            (kind, pk, pk, n, c["token"], checked if c["token"] in chosen else "", pk, n,
             c["text"])
            for n, c in enumerate(question["choices"], start=1)
        ),
    )
