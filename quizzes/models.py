"""The assessment engine. It never imports from `edu`: courses and lessons are
referred to by model label only."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse


class QuizQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True, course__published=True)


class ReviewWhen(models.TextChoices):
    IMMEDIATELY = "immediately", "Right after each attempt"
    WHEN_CLOSED = "when_closed", "Once the learner has passed or has no attempts left"
    NEVER = "never", "Never"


class Quiz(models.Model):
    """A quiz. The score and per-topic mastery are always shown after an attempt;
    `review_correctness` and `review_key` say when the rest of the review is."""

    class Feedback(models.TextChoices):
        AFTER_SUBMIT = "after_submit", "After the attempt is submitted"
        IMMEDIATE = "immediate", "After each question is checked"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="quizzes")
    after_lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The lesson this quiz follows in the course outline.",
    )
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    pass_mark = models.PositiveSmallIntegerField(
        default=80,
        validators=[MaxValueValidator(100)],
        help_text="Percentage needed to pass.",
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Draw this many questions at random per attempt; empty for all.",
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_choices = models.BooleanField(default=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty for unlimited attempts."
    )
    retake_wait_hours = models.PositiveIntegerField(
        "wait between attempts (hours)",
        default=0,
        help_text="How long a learner waits after submitting before starting again; 0 for none.",
    )
    feedback = models.CharField(
        max_length=20, choices=Feedback.choices, default=Feedback.AFTER_SUBMIT
    )
    review_correctness = models.CharField(
        "review shows which answers were right",
        max_length=20,
        choices=ReviewWhen.choices,
        default=ReviewWhen.IMMEDIATELY,
    )
    review_key = models.CharField(
        "review shows the correct answers and rationales",
        max_length=20,
        choices=ReviewWhen.choices,
        default=ReviewWhen.IMMEDIATELY,
    )
    published = models.BooleanField(default=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["course", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="quiz_unique_slug"),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="quiz_pass_mark_le_100"),
            models.CheckConstraint(
                condition=Q(questions_per_attempt__isnull=True) | Q(questions_per_attempt__gt=0),
                name="quiz_draws_at_least_one",
            ),
            models.CheckConstraint(
                condition=Q(attempts_allowed__isnull=True) | Q(attempts_allowed__gt=0),
                name="quiz_allows_at_least_one_attempt",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        # A quiz from a cache of pages may carry its URL (set when it was built).
        return self.__dict__.get("absolute_url") or reverse(
            "quizzes:quiz", kwargs={"course_slug": self.course.slug, "slug": self.slug}
        )

    @property
    def checkable(self):
        """Whether the learner checks each question as they go (immediate feedback)."""
        return self.feedback == self.Feedback.IMMEDIATE

    def clean(self):
        if self.after_lesson_id and self.after_lesson.course_id != self.course_id:
            raise ValidationError({"after_lesson": "Choose a lesson of this quiz's course."})
        if self.checkable and (
            self.review_key != ReviewWhen.IMMEDIATELY
            or self.review_correctness != ReviewWhen.IMMEDIATELY
        ):
            raise ValidationError(
                {"feedback": "Feedback after each question shows the key at once; choose it "
                 "only when the review shows everything right after each attempt."}
            )


class BlueprintEntry(models.Model):
    """Draw `count` questions from `source`'s own questions in each attempt of `quiz`.

    A quiz with a blueprint draws by it (`questions_per_attempt` is then
    ignored); `source` may be the quiz itself, for items of its own that no
    other quiz shows.
    """

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="blueprint")
    source = models.ForeignKey(
        Quiz,
        on_delete=models.CASCADE,
        related_name="drawn_into",
        help_text="Draw from this quiz's questions.",
    )
    count = models.PositiveSmallIntegerField(help_text="Questions drawn per attempt.")

    class Meta:
        verbose_name = "blueprint entry"
        verbose_name_plural = "blueprint"
        ordering = ["quiz", "source__position", "source_id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "source"], name="blueprint_unique_source"),
            models.CheckConstraint(condition=Q(count__gt=0), name="blueprint_draws_at_least_one"),
        ]

    def __str__(self):
        return f"{self.count} from {self.source}"

    def clean(self):
        if self.quiz_id and self.source_id and self.source.course_id != self.quiz.course_id:
            raise ValidationError({"source": "Choose a quiz of the same course."})


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single answer"
        MULTIPLE = "multiple", "Select all that apply"

    class Scoring(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        PLUS_MINUS = "plus_minus", "+1 per correct pick, −1 per wrong pick, floor 0"
        WEIGHTS = "weights", "Sum of the chosen options' weights (Moodle)"

    class Level(models.TextChoices):
        RECALL = "recall", "Recall"
        APPLICATION = "application", "Application"
        ANALYSIS = "analysis", "Analysis"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The GIFT [id:…], used to update on re-import."
    )
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    stem = models.TextField()
    general_feedback = models.TextField(
        "rationale", blank=True, help_text="Shown with every answer after submission."
    )
    tags = models.JSONField(default=list, blank=True, help_text="Topic tags, e.g. [\"gaba\"].")
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The lesson a learner should review for this question.",
    )
    scoring = models.CharField(
        max_length=20,
        choices=Scoring.choices,
        default=Scoring.ALL_OR_NOTHING,
        help_text="How a select-all-that-apply question is scored.",
    )
    level = models.CharField(
        max_length=12, choices=Level.choices, blank=True, help_text="The GIFT [level:…]."
    )

    class Meta:
        ordering = ["quiz", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "external_id"],
                condition=~Q(external_id=""),
                name="question_unique_external_id",
            ),
        ]

    def __str__(self):
        return self.title or self.stem[:80]

    def clean(self):
        if self.lesson_id and self.quiz_id and self.lesson.course_id != self.quiz.course_id:
            raise ValidationError({"lesson": "Choose a lesson of this quiz's course."})
        if not isinstance(self.tags, list) or not all(isinstance(t, str) for t in self.tags):
            raise ValidationError({"tags": 'Give a list of topic names, e.g. ["gaba"].'})


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    is_correct = models.BooleanField(default=False)
    weight = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        default=0,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
        help_text="Percent of the question's mark, as in GIFT (%50%).",
    )
    feedback = models.TextField("rationale", blank=True)

    class Meta:
        ordering = ["question", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=-100, weight__lte=100), name="choice_weight_in_range"
            ),
        ]

    def __str__(self):
        return self.text[:80]


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent."
    )
    passed = models.BooleanField(null=True, blank=True)
    points = models.DecimalField(
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Raw points: the sum of the responses' scores, stored at submission.",
    )
    topics = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per topic tag, stored at submission: {"tag": [points earned, questions, '
        "[lesson ids]]}.",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz", "number"], name="attempt_unique_number"
            ),
            models.UniqueConstraint(
                fields=["user", "quiz"],
                condition=Q(state="in_progress"),
                name="attempt_one_open_per_quiz",
            ),
            models.CheckConstraint(
                condition=Q(
                    state="in_progress",
                    submitted_at__isnull=True,
                    score__isnull=True,
                    points__isnull=True,
                )
                | Q(
                    state="submitted",
                    submitted_at__isnull=False,
                    score__isnull=False,
                    points__isnull=False,
                ),
                name="attempt_state_matches_fields",
            ),
        ]
        indexes = [models.Index(fields=["quiz", "state"])]

    def __str__(self):
        return f"{self.user} · {self.quiz} #{self.number}"

    def get_absolute_url(self):
        name = "quizzes:review" if self.is_submitted else "quizzes:attempt"
        return reverse(name, kwargs={"pk": self.pk})

    @property
    def is_submitted(self):
        return self.state == self.State.SUBMITTED


class Response(models.Model):
    """One question as a learner saw it in one attempt, and what they chose.

    `snapshot` freezes the question (stem, options in shown order, key,
    rationales) so that editing the bank never changes a past attempt.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, related_name="responses"
    )
    lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField()
    snapshot = models.JSONField()
    selected = models.JSONField(default=list, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    checked = models.BooleanField(
        default=False, help_text="Locked and shown with feedback (immediate-feedback quizzes)."
    )
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["attempt_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="response_unique_position"
            ),
            models.UniqueConstraint(
                fields=["attempt", "question"], name="response_unique_question"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1),
                name="response_score_is_a_fraction",
            ),
        ]
        indexes = [
            # Item analysis reads only these columns of every first attempt's
            # responses: on PostgreSQL an index-only scan, never the snapshots
            # (the id too: it names one response per set of options picked).
            models.Index(
                fields=["attempt"], include=["question", "score", "selected", "id"],
                name="response_item_analysis_v2",
            ),
        ]

    def __str__(self):
        return f"{self.attempt} · Q{self.position}"


class TalliedAttempt(models.Model):
    """A first attempt counted in a cohort's item tallies (see ItemTally).

    `batch` numbers the update that counted it; during an update, batch 0
    marks an attempt being taken out (its learner left the cohort). When an
    attempt is deleted, `attempt` becomes null (Django's SET_NULL) and the next
    update, seeing it, rebuilds that cohort's tallies of the quiz from the
    responses. The learner is kept as a plain id.
    """

    cohort = models.ForeignKey(
        "courses.Cohort", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="+", db_index=False)
    attempt = models.ForeignKey(Attempt, on_delete=models.SET_NULL, null=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False, related_name="+",
    )
    points = models.DecimalField(max_digits=9, decimal_places=4)
    batch = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "attempt"], name="tallied_attempt_once_per_cohort"
            ),
        ]
        indexes = [models.Index(fields=["quiz", "cohort", "batch"], name="tallied_attempt_batch")]

    def __str__(self):
        return f"attempt {self.attempt_id} in cohort {self.cohort_id}"


class ItemTally(models.Model):
    """One question's item-analysis counts over a cohort's first attempts.

    With P a response's score and T its attempt's points, both in units of
    1/10,000: `sums` are [n, ΣP, ΣP², ΣT, ΣT², ΣPT] over the responses,
    `scores` counts them by P and `rests` by T − P (the rest-of-test score),
    as [[units, count], ...]; `picks` counts how often each option was
    chosen, as [[choice id, count], ...]; `choices` are the options as first
    shown. Every
    figure of the item analysis follows from these (quizzes.statistics). They
    are derived data, brought up to date from the responses each time the
    analysis is read, never edited by hand.
    """

    cohort = models.ForeignKey(
        "courses.Cohort", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="+", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    sums = models.JSONField(default=list)
    scores = models.JSONField(default=list)
    rests = models.JSONField(default=list)
    picks = models.JSONField(default=list)
    choices = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "quiz", "question"], name="item_tally_once_per_question"
            ),
        ]

    def __str__(self):
        return f"question {self.question_id} in cohort {self.cohort_id}"
