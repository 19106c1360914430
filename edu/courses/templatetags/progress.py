"""A learner's standing in a course's quizzes, built in Python: the outline and
the dashboard show a row per quiz, and an include per row cost them more than
the rest of their markup."""

from django import template
from django.template.defaultfilters import floatformat, pluralize
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def quiz_row(context, quiz):
    """The quiz's link and, for a signed-in learner, where they stand in it:
    passed, in progress (with a link to resume), tried, or not started."""
    title = escape(quiz.title)
    parts = [f'<a href="{escape(quiz.get_absolute_url())}">Quiz: {title}</a>']
    user = context.get("user")
    if user is not None and user.is_authenticated:
        best = floatformat(getattr(quiz, "best_score", None), 0)
        count = getattr(quiz, "attempt_count", 0)
        open_id = getattr(quiz, "open_attempt_id", None)
        if getattr(quiz, "has_passed", False):
            parts.append(f'<span class="state state-done">Passed, best {best}%</span>')
        elif open_id:
            url = reverse("quizzes:attempt", kwargs={"pk": open_id})
            parts.append(
                f'<span class="state state-started">In progress</span> <a href="{url}">Resume'
                f'<span class="visually-hidden"> {title}</span></a>'
                + (f' <span class="meta">(best so far {best}%)</span>' if count else "")
            )
        elif count:
            parts.append(
                f'<span class="state state-started">Best {best}% after {int(count)} '
                f"attempt{pluralize(count)}, not passed yet</span>"
            )
        else:
            parts.append('<span class="state">Not started</span>')
    return mark_safe("\n".join(parts))  # noqa: S308 (every text in it is escaped above)
