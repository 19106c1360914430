"""API shapes of the assessment engine. Fields are explicit; an attempt in
progress never carries the key (correctness, weights, rationales)."""

from rest_framework import serializers

from . import selectors
from .models import Attempt, Quiz


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class QuizSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    after_lesson = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Quiz
        fields = [
            "id", "slug", "title", "description", "course", "after_lesson", "pass_mark",
            "questions_per_attempt", "shuffle_questions", "shuffle_choices",
            "attempts_allowed", "feedback",
        ]
        read_only_fields = fields


class OptionSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="This option's name in this attempt only: random, never a database id."
    )
    text = serializers.CharField()


class OptionReviewSerializer(OptionSerializer):
    chosen = serializers.BooleanField()
    correct = serializers.BooleanField(
        allow_null=True, help_text="Null while the quiz's review options hide the key."
    )
    feedback = serializers.CharField(allow_blank=True)


class QuestionReviewSerializer(serializers.Serializer):
    """A graded question, as much as the quiz's review options show: score and
    `correct` are null while correctness is hidden; `correct` per option, option
    rationales and `general_feedback` are null/empty while the key is hidden."""

    score = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    correct = serializers.BooleanField(allow_null=True)
    shows_key = serializers.BooleanField()
    general_feedback = serializers.CharField(allow_blank=True)
    options = OptionReviewSerializer(many=True)
    lesson_url = serializers.CharField(allow_null=True)


class AttemptQuestionSerializer(serializers.Serializer):
    """One question as the learner saw it. `review` is null until the attempt is
    submitted (or, in an immediate-feedback quiz, the question was checked)."""

    id = serializers.IntegerField(help_text="Use this id to answer the question.")
    position = serializers.IntegerField()
    stem = serializers.CharField()
    kind = serializers.ChoiceField(choices=["single", "multiple"])
    scoring = serializers.ChoiceField(
        choices=["all_or_nothing", "plus_minus", "weights"],
        help_text="How a select-all-that-apply question is scored.",
    )
    options = OptionSerializer(many=True)
    selected = serializers.ListField(
        child=serializers.CharField(), help_text="Tokens of the chosen options."
    )
    checked = serializers.BooleanField()
    review = QuestionReviewSerializer(allow_null=True)


class AttemptSerializer(serializers.ModelSerializer):
    quiz = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    course = serializers.SerializerMethodField()
    questions = AttemptQuestionSerializer(many=True, read_only=True)  # see attempt_data

    class Meta:
        model = Attempt
        fields = [
            "id", "quiz", "course", "number", "state", "started_at", "submitted_at", "score",
            "passed", "questions",
        ]
        read_only_fields = fields

    def get_course(self, attempt) -> str:
        return attempt.quiz.course.slug


_MOMENT = serializers.DateTimeField()
_PERCENT = serializers.DecimalField(max_digits=5, decimal_places=2)


def attempt_data(attempt, responses, policy=None):
    """What AttemptSerializer gives, built directly: the same fields, formats and
    review rules, at a fraction of a ModelSerializer's cost per request."""

    def moment(value):
        return None if value is None else _MOMENT.to_representation(value)

    return {
        "id": attempt.pk,
        "quiz": attempt.quiz.slug,
        "course": attempt.quiz.course.slug,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": moment(attempt.started_at),
        "submitted_at": moment(attempt.submitted_at),
        "score": None if attempt.score is None else _PERCENT.to_representation(attempt.score),
        "passed": attempt.passed,
        "questions": learner_questions(attempt, responses, policy),
    }


def learner_questions(attempt, responses, policy=None):
    """The questions of an attempt as AttemptQuestionSerializer describes them,
    built directly (a nested serializer per option would cost more than the
    rest of the request)."""
    shown = []
    for item, response in zip(selectors.questions_for_learner(responses), responses, strict=True):
        review = None
        if attempt.is_submitted or response.checked:
            # A question checked before submission (immediate feedback) shows
            # everything: such quizzes review everything at once.
            use = policy if attempt.is_submitted and policy else selectors.FULL_REVIEW
            detail = selectors.review_of(response, use)
            lesson = detail["lesson"]
            review = {
                "score": None if detail["score"] is None else str(detail["score"]),
                "correct": detail["correct"],
                "shows_key": detail["shows_key"],
                "general_feedback": detail["general_feedback"],
                "options": [
                    {k: c[k] for k in ("token", "text", "correct", "chosen", "feedback")}
                    for c in detail["choices"]
                ],
                "lesson_url": lesson.get_absolute_url() if lesson else None,
            }
        shown.append(
            {
                "id": response.pk,
                "position": response.position,
                "stem": item["stem"],
                "kind": response.snapshot["kind"],
                "scoring": item["scoring"],
                "options": item["choices"],
                "selected": sorted(item["selected"]),
                "checked": response.checked,
                "review": review,
            }
        )
    return shown


class AnswersSavedSerializer(serializers.Serializer):
    """What an answer request changed: the questions it named, as now saved."""

    id = serializers.IntegerField(help_text="The attempt.")
    state = serializers.CharField()
    questions = AttemptQuestionSerializer(many=True)


class AttemptSummarySerializer(AttemptSerializer):
    class Meta(AttemptSerializer.Meta):
        fields = [f for f in AttemptSerializer.Meta.fields if f != "questions"]
        read_only_fields = fields


class AnswerSerializer(StrictSerializer):
    question = serializers.IntegerField(min_value=1, help_text="A question id of this attempt.")
    options = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=50,
        allow_empty=True,
        help_text="Tokens of the chosen options, as the attempt gives them; [] clears.",
    )


class AnswersSerializer(StrictSerializer):
    answers = serializers.ListField(child=AnswerSerializer(), min_length=1, max_length=500)
    check = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Question ids to lock and score now (immediate-feedback quizzes only).",
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
