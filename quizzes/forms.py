import re

from django import forms
from django.core.exceptions import ValidationError

from .importers import BANK_SIZE_LIMIT
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
    max_size = BANK_SIZE_LIMIT

    file = forms.FileField(
        label="GIFT file",
        help_text=(
            "UTF-8 text in Moodle's GIFT format, at most 5 MiB. "
            "Questions with an [id:…] are updated."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_size:
            raise ValidationError(
                f"{upload.name}: {upload.size / 2**20:.1f} MiB, over the "
                f"{self.max_size / 2**20:g} MiB limit for a question bank",
                code="too_big",
            )
        return upload


class ListField(forms.Field):
    """Every value a form posts under one name (checkboxes, repeated hidden inputs)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, pattern, message, coerce=str, **kwargs):
        super().__init__(**kwargs)
        self.pattern, self.message, self.coerce = pattern, message, coerce

    def to_python(self, value):
        values = value or []
        for item in values:
            if not isinstance(item, str) or not self.pattern.fullmatch(item):
                raise ValidationError(self.message % {"value": str(item)[:40]}, code="invalid")
        return [self.coerce(item) for item in values]


class AttemptForm(forms.Form):
    """What the attempt page posts, parsed before anything is saved.

    `r<question id>` holds the option tokens ticked for a question, `shown`
    the questions the page showed (so that an unticked radio group clears its
    answer), `check` a question to check now (immediate-feedback quizzes) and
    `action`. The form checks shapes; the service checks each value against the
    attempt (under its lock) and refuses anything that is not in it.
    """

    ACTIONS = [
        ("save", "Save answers"),
        ("finish", "Finish attempt"),
        ("submit", "Submit all and finish"),
    ]
    ANSWER_NAME = re.compile(r"r(\d{1,12})")
    TOKEN = re.compile(r"[A-Za-z0-9_-]{1,40}")
    NUMBER = re.compile(r"\d{1,12}")

    action = forms.ChoiceField(
        choices=ACTIONS,
        required=False,
        error_messages={"invalid_choice": "%(value)s is not something this page can do."},
    )
    shown = ListField(
        pattern=NUMBER,
        coerce=int,
        required=False,
        message="%(value)s is not a question of this attempt.",
    )
    check = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": "That question cannot be checked: it is not a question of this attempt.",
            "min_value": "That question cannot be checked: it is not a question of this attempt.",
        },
    )

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        for name in data:
            if self.ANSWER_NAME.fullmatch(name):
                self.fields[name] = ListField(
                    pattern=self.TOKEN,
                    required=False,
                    message="%(value)s is not one of the options of this attempt.",
                )

    def clean_action(self):
        return self.cleaned_data["action"] or "save"

    def answers(self):
        """{question id: [tokens]} for every question the page showed."""
        return {
            question: self.cleaned_data.get(f"r{question}") or []
            for question in self.cleaned_data["shown"]
        }

    def error_text(self):
        return " ".join(message for errors in self.errors.values() for message in errors)
