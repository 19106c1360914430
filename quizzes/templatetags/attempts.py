"""The attempt page's hottest markup, built in Python: an attempt of 20
questions has 100 options, and a template loop per question and option costs
more than the rest of the page."""

from html import escape

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
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
    """A question's options as labelled radio buttons or checkboxes, named by token.

    Only the option text and token are escaped (the rest are numbers and fixed
    words), with the standard library's escape: Django's `format_html` escapes
    every argument through a lazy-aware wrapper, nine per option.
    """
    kind = "checkbox" if question["multiple"] else "radio"
    pk, chosen = int(question["id"]), question["selected"]
    options = []
    for n, choice in enumerate(question["choices"], start=1):
        checked = " checked" if choice["token"] in chosen else ""
        options.append(
            f'<div class="choice">\n  <input type="{kind}" name="r{pk}" id="r{pk}-{n}" '
            f'{option_value(choice["token"])}{checked}>\n  <label for="r{pk}-{n}">'
            f'{escape(choice["text"])}</label>\n</div>'
        )
    return mark_safe("\n".join(options))  # noqa: S308 (every text in it is escaped above)


def option_value(token):
    """An option input's value attribute: its token, escaped."""
    return f'value="{escape(token)}"'


def with_chosen(markup, states):
    """`markup` (an open attempt's questions with nothing chosen, from
    `caching.open_attempt`) with the options in `states` ((response id, chosen
    option ids, checked) per response) ticked."""
    html = markup.html
    for pk, selected, _ in states:
        inputs = markup.inputs.get(pk, {})
        for option in selected:
            value = inputs.get(option)
            if value is not None:  # (each token is unique in the page)
                html = html.replace(f"{value}>", f"{value} checked>", 1)
    return mark_safe(html)  # noqa: S308 (built by open_question, which escapes)


@register.simple_tag
def open_question(question, total, checkable):
    """A question still to answer, as its fieldset: the stem as its legend, the
    scoring rule, the options, and a "Check" button when `checkable`
    (immediate feedback)."""
    pk, position = int(question["id"]), int(question["position"])
    parts = [
        f'<fieldset class="question" id="q{pk}">',
        f'  <legend><span class="question-number">Question {position} of {int(total)}</span> '
        f"{linebreaksbr(question['stem'], autoescape=True)}</legend>",
        scoring_rule(question),
        f'  <input type="hidden" name="shown" value="{pk}">',
        choice_inputs(question),
    ]
    if checkable:
        parts.append(f'  <button type="submit" name="check" value="{pk}" class="secondary">'
                     f"Check question {position}</button>")
    parts.append("</fieldset>")
    return mark_safe("\n".join(part for part in parts if part))  # noqa: S308 (escaped above)
