"""What the LMS integration keeps, beside django-lti's own tables (registrations,
deployments, keys, platform users, contexts, memberships, resource links)."""

from django.conf import settings
from django.db import models


class PlatformAccount(models.Model):
    """A platform's user (issuer + subject) is one local account, for good."""

    issuer = models.CharField(max_length=255)
    sub = models.CharField("subject (sub)", max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "LMS account"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "sub"], name="lti_account_unique_sub"),
        ]

    def __str__(self):
        return f"{self.sub} at {self.issuer} → {self.user}"


class PlatformOptions(models.Model):
    """What the site needs to know about a registered platform besides the protocol."""

    registration = models.OneToOneField(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="options"
    )
    frame_origins = models.TextField(
        blank=True,
        help_text="Origins allowed to frame the module besides the issuer's and the auth "
        "URL's, one per line, e.g. https://school.instructure.com.",
    )

    class Meta:
        verbose_name = "framing options"
        verbose_name_plural = "framing options"

    def __str__(self):
        return f"Framing options of {self.registration}"


class CohortLink(models.Model):
    """An LMS course (LTI context) taking one of our courses is one cohort."""

    context = models.ForeignKey(
        "lti_tool.LtiContext", on_delete=models.CASCADE, related_name="cohort_links"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    cohort = models.OneToOneField(
        "courses.Cohort", on_delete=models.CASCADE, related_name="lti_link"
    )
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "LMS course link"
        constraints = [
            models.UniqueConstraint(fields=["context", "course"], name="lti_cohort_per_context"),
        ]

    def __str__(self):
        return f"{self.context} → {self.cohort}"


class RosterEntry(models.Model):
    """A learner the LMS roster (NRPS) lists for a linked cohort; dropped ones stay marked."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active in the LMS"
        DROPPED = "dropped", "Dropped in the LMS"

    link = models.ForeignKey(CohortLink, on_delete=models.CASCADE, related_name="roster")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "roster entries"
        ordering = ["link", "status", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["link", "user"], name="lti_roster_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_status_display()})"


class QuizLaunch(models.Model):
    """A learner opened a quiz from an LMS resource link that takes grades: where
    the score of their next submission goes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_launches"
    )
    quiz = models.ForeignKey("quizzes.Quiz", on_delete=models.CASCADE, related_name="+")
    resource_link = models.ForeignKey(
        "lti_tool.LtiResourceLink", on_delete=models.CASCADE, related_name="+"
    )
    registration = models.ForeignKey(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="+"
    )
    sub = models.CharField("platform user id", max_length=255)
    lineitem_url = models.URLField("line item URL", max_length=500, blank=True)
    lineitems_url = models.URLField("line items URL", max_length=500, blank=True)
    scopes = models.JSONField(default=list)
    launched_at = models.DateTimeField()

    class Meta:
        ordering = ["-launched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz", "resource_link"], name="lti_quiz_launch_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.quiz} from {self.resource_link}"


class GradePost(models.Model):
    """The outbox: one score per attempt, written in the submit transaction and
    sent to the platform's line item by `manage.py send_grades`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"

    attempt = models.OneToOneField(
        "quizzes.Attempt", on_delete=models.CASCADE, related_name="lti_grade"
    )
    registration = models.ForeignKey(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="+"
    )
    resource_link = models.ForeignKey(
        "lti_tool.LtiResourceLink", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sub = models.CharField("platform user id", max_length=255)
    lineitem_url = models.URLField("line item URL", max_length=500, blank=True)
    lineitems_url = models.URLField("line items URL", max_length=500, blank=True)
    scopes = models.JSONField(default=list)
    label = models.CharField(max_length=200, help_text="The quiz, should a line item be made.")
    score_given = models.DecimalField(max_digits=6, decimal_places=2)
    score_maximum = models.DecimalField(max_digits=6, decimal_places=2, default=100)
    activity_progress = models.CharField(max_length=20, default="Completed")
    grading_progress = models.CharField(max_length=20, default="FullyGraded")
    timestamp = models.DateTimeField(help_text="When the attempt was submitted.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    tries = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "grade to send"
        verbose_name_plural = "grade outbox"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_try_at"], name="lti_grade_due")]

    def __str__(self):
        score = f"{self.score_given}/{self.score_maximum}"
        return f"{score} for {self.sub} ({self.get_status_display()})"


class UsedNonce(models.Model):
    """A launch's nonce, kept so that a replayed id_token is refused."""

    issuer = models.CharField(max_length=255)
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "nonce"], name="lti_nonce_once"),
        ]

    def __str__(self):
        return self.nonce
