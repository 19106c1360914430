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
