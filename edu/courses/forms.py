from django import forms


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=200, help_text="Why the certificate is revoked (kept with it)."
    )
