import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .article import render_body
from .notes import NotesError, parse_notes


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Course(models.Model):
    slug = models.SlugField(unique=True, max_length=80)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source = models.CharField(
        max_length=300, blank=True, help_text="Where the course text comes from."
    )
    published = models.BooleanField(default=False)
    topic_labels = models.JSONField(
        default=dict, blank=True, help_text='Names for topic tags, e.g. {"gaba": "GABA"}.'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        # A course from the cached catalogue carries its URL (caching.py).
        return self.__dict__.get("absolute_url") or reverse(
            "courses:course", kwargs={"slug": self.slug}
        )

    def get_continue_url(self):
        """Add `?after=quiz-ID` (or `lesson-ID`) to reach the next step of the path."""
        return reverse("courses:continue", kwargs={"slug": self.slug})

    def get_references_url(self):
        return reverse("courses:references", kwargs={"slug": self.slug})

    def reference_keys(self):
        """The keys a [ref:KEY] in this course's notes and question bank may name."""
        return set(self.references.values_list("key", flat=True))


class Reference(models.Model):
    """One source the course's clinical notes and questions cite as [ref:KEY]."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="references")
    key = models.SlugField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    supports = models.TextField(blank=True, help_text="What this source supports in the course.")

    class Meta:
        ordering = ["course", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="reference_unique_key"),
        ]

    def __str__(self):
        return self.key

    def get_absolute_url(self):
        return f"{self.course.get_references_url()}#ref-{self.key}"


class LessonQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    body = models.TextField(
        help_text=(
            "Plain text: paragraphs separated by blank lines; list items start with "
            "a bullet (•, - or *)."
        )
    )
    body_html = models.TextField(editable=False, blank=True)
    notes = models.TextField(
        "clinical notes",
        blank=True,
        help_text="The module's own notes (Markdown): learning objectives, key points and "
        "clinical notes with [ref:KEY] citations. Loaded from the course folder.",
    )
    notes_html = models.TextField(editable=False, blank=True)
    objectives = models.JSONField(default=list, blank=True, editable=False)
    reviewed_on = models.DateField("notes last reviewed", null=True, blank=True)
    reviewer = models.CharField(
        "reviewed by (role)", max_length=150, blank=True, help_text="A role, not a name."
    )
    published = models.BooleanField(default=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_unique_slug"),
            models.UniqueConstraint(
                fields=["course", "position"], name="lesson_unique_position"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_body(self.body)
        notes = parse_notes(self.notes) if self.notes.strip() else None
        self.notes_html = notes.html if notes else ""
        self.objectives = notes.objectives if notes else []
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        if update_fields is not None and "notes" in update_fields:
            kwargs["update_fields"] = {*kwargs["update_fields"], "notes_html", "objectives"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        # A lesson from the cached catalogue carries its URL (caching.py).
        return self.__dict__.get("absolute_url") or reverse(
            "courses:lesson", kwargs={"course_slug": self.course.slug, "slug": self.slug}
        )

    def clean(self):
        if self.notes.strip():
            try:
                notes = parse_notes(self.notes)
            except NotesError as exc:
                raise ValidationError({"notes": f"Line {exc.line}: {exc.reason}"}) from None
            known = self.course.reference_keys() if self.course_id else set()
            unknown = set(notes.references) - known
            if unknown:
                raise ValidationError({"notes": f"Unknown reference [ref:{sorted(unknown)[0]}]."})


class LessonProgress(models.Model):
    """One learner's trace through one lesson. Never deleted by a re-import."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    first_viewed_at = models.DateTimeField()
    last_viewed_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "lesson progress"
        ordering = ["-last_viewed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="progress_unique_user_lesson"),
            models.CheckConstraint(
                condition=Q(last_viewed_at__gte=models.F("first_viewed_at")),
                name="progress_viewed_in_order",
            ),
        ]

    def __str__(self):
        state = "completed" if self.completed_at else "viewed"
        return f"{self.user} · {self.lesson} ({state})"

    @property
    def is_completed(self):
        return self.completed_at is not None


def new_join_code():
    """Eight characters a learner can type: no 0/O or 1/I/L to confuse."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def new_certificate_code():
    """Unguessable: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


class Cohort(models.Model):
    """A class of learners taking one course, taught by one or more instructors."""

    name = models.CharField(max_length=150)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cohorts")
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teaching_cohorts", blank=True
    )
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="cohorts", blank=True
    )
    join_code = models.CharField(max_length=12, unique=True, default=new_join_code)
    join_code_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this moment the code no longer works."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="cohort_unique_name"),
        ]
        permissions = [
            ("teach_cohort", "Can teach cohorts: see the records of their own learners"),
        ]

    def __str__(self):
        return f"{self.name} ({self.course})"

    def get_absolute_url(self):
        return reverse("courses:gradebook", kwargs={"pk": self.pk})


class Certificate(models.Model):
    """Proof of completion. Stored on purpose: its issue date and code are the record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="certificates",
        help_text="Empty once the learner deleted their account (the record stays, revoked).",
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(max_length=32, unique=True, default=new_certificate_code)
    name = models.CharField(max_length=150, help_text="The learner's name as printed.")
    issued_at = models.DateTimeField(auto_now_add=True)
    final_score = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Best passing score on the final assessment (percent), when the course has one.",
    )
    final_passed_at = models.DateTimeField(
        null=True, blank=True, help_text="When that final assessment attempt was submitted."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        permissions = [
            ("revoke_certificate", "Can revoke and reinstate certificates of their learners"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="certificate_once_per_course"),
        ]

    def __str__(self):
        return f"{self.name} · {self.course}"

    def get_absolute_url(self):
        return reverse("courses:certificate", kwargs={"code": self.code})

    @property
    def is_revoked(self):
        return self.revoked_at is not None
