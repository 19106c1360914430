from django import forms
from django.core.exceptions import ValidationError

from .models import Question


class ChoiceInlineFormSet(forms.BaseInlineFormSet):
    """A question's options: single answer needs exactly one correct, SATA at least one."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        correct = sum(1 for data in kept if data.get("is_correct"))
        kind = getattr(self.instance, "kind", Question.Kind.SINGLE)
        if len(kept) < 2:
            raise ValidationError("A question needs at least two options.")
        if kind == Question.Kind.SINGLE and correct != 1:
            raise ValidationError(
                f"A single-answer question needs exactly one correct option ({correct} ticked)."
            )
        if kind == Question.Kind.MULTIPLE and correct < 1:
            raise ValidationError(
                "A select-all-that-apply question needs at least one correct option."
            )


class GiftUploadForm(forms.Form):
    file = forms.FileField(
        label="GIFT file",
        help_text="UTF-8 text in Moodle's GIFT format. Questions with an [id:…] are updated.",
    )


class AttemptForm(forms.Form):
    """What the attempt page posts, parsed and checked against what it showed.

    One field per question (`r<response id>`, valued by the option tokens of
    that attempt; the service refuses to change a checked one), `shown` (the questions the page showed, so that an
    unticked radio group clears its answer), `check` (a question to check now,
    in immediate-feedback quizzes) and `action`.
    """

    ACTIONS = [
        ("save", "Save answers"),
        ("finish", "Finish attempt"),
        ("submit", "Submit all and finish"),
    ]

    action = forms.ChoiceField(
        choices=ACTIONS,
        required=False,
        error_messages={"invalid_choice": "%(value)s is not something this page can do."},
    )
    shown = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "%(value)s is not a question of this attempt."},
    )
    check = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, questions, immediate, **kwargs):
        super().__init__(*args, **kwargs)
        open_ = [q for q in questions if not q["checked"]]
        numbers = [(str(q["id"]), f"Question {q['position']}") for q in questions]
        self.fields["shown"].choices = numbers
        self.fields["check"].choices = (
            [("", "")] + [(str(q["id"]), f"Question {q['position']}") for q in open_]
            if immediate
            else [("", "")]
        )
        self.fields["check"].error_messages["invalid_choice"] = (
            "That question cannot be checked: it is not an open question of this attempt."
            if immediate
            else "This quiz gives feedback after submission only."
        )
        self.single = {}  # field name -> question number, for single-answer questions
        for q in questions:
            name = f"r{q['id']}"
            self.fields[name] = forms.MultipleChoiceField(
                choices=[(c["token"], c["text"]) for c in q["choices"]],
                required=False,
                error_messages={
                    "invalid_choice": f"Question {q['position']}: %(value)s is not one of "
                    "its options."
                },
            )
            if not q["multiple"]:
                self.single[name] = q["position"]

    def clean_action(self):
        return self.cleaned_data["action"] or "save"

    def clean(self):
        data = super().clean()
        for name, position in self.single.items():
            if len(data.get(name) or []) > 1:
                self.add_error(name, f"Question {position}: choose only one option.")
        return data

    def answers(self):
        """{response id: [tokens]} for every question the page showed."""
        return {
            response_id: self.cleaned_data.get(f"r{response_id}") or []
            for response_id in self.cleaned_data["shown"]
        }

    def error_text(self):
        return " ".join(message for errors in self.errors.values() for message in errors)
