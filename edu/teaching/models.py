"""What instructors do, apart from what learners read: invitations to a cohort
and the audit trail of every access to a learner's records."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse


def new_invitation_token():
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """An e-mailed link that signs a learner up or in and joins them to a cohort."""

    cohort = models.ForeignKey(
        "courses.Cohort", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    token = models.CharField(
        max_length=64, unique=True, default=new_invitation_token, editable=False
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.cohort}"

    def get_absolute_url(self):
        return reverse("teaching:accept_invitation", kwargs={"token": self.token})


class AuditEntry(models.Model):
    """One access to, or change of, a learner's records. Written by services only;
    nobody can edit or delete an entry through the site."""

    class Action(models.TextChoices):
        EXPORT_GRADEBOOK = "export_gradebook", "Exported the gradebook (CSV)"
        VIEW_LEARNER = "view_learner", "Viewed a learner's progress"
        VIEW_ATTEMPT = "view_attempt", "Viewed a learner's attempt"
        REVOKE_CERTIFICATE = "revoke_certificate", "Revoked a certificate"
        REINSTATE_CERTIFICATE = "reinstate_certificate", "Reinstated a certificate"
        ADD_LEARNER = "add_learner", "Added a learner to a cohort"
        REMOVE_LEARNER = "remove_learner", "Removed a learner from a cohort"
        INVITE = "invite", "Invited a learner by e-mail"
        JOIN = "join", "Joined a cohort"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept if the account is deleted.")
    action = models.CharField(max_length=30, choices=Action.choices)
    cohort = models.ForeignKey(
        "courses.Cohort", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target = models.CharField(max_length=300, blank=True, help_text="What was accessed or changed.")
    ip = models.GenericIPAddressField("from (IP address)", null=True, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.get_action_display()}"
