from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_INVITATIONS = 200


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="E-mail addresses",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One or more addresses, separated by commas, spaces or new lines. "
        "Each gets a link that signs them up or in and joins this class.",
    )

    def clean_emails(self):
        raw = self.cleaned_data["emails"].replace(",", " ").replace(";", " ").split()
        emails = list(dict.fromkeys(e.strip().lower() for e in raw if e.strip()))
        if not emails:
            raise ValidationError("Give at least one e-mail address.")
        if len(emails) > MAX_INVITATIONS:
            raise ValidationError(f"Invite at most {MAX_INVITATIONS} people at a time.")
        bad = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(f"Not an e-mail address: {', '.join(bad[:5])}")
        return emails
