"""Reads of the assessment engine, each in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .models import Attempt, BlueprintEntry, Question, Quiz, Response, ReviewWhen

WEAK_BELOW = Decimal(80)  # percent: a topic under this is shown as one to review


def get_quiz(course_slug, slug):
    return get_object_or_404(
        Quiz.objects.published().select_related("course", "after_lesson"),
        course__slug=course_slug,
        slug=slug,
    )


def quizzes_with_results(course_ids, user):
    """Published quizzes of these courses with the learner's attempts, best score and pass.

    Correlated subqueries on the learner's own attempts (the unique index on
    user, quiz, number), never an aggregate over every learner's attempts.
    """
    quizzes = in_path_order(
        Quiz.objects.published().filter(course_id__in=course_ids).annotate(
            after_position=F("after_lesson__position")
        )
    )
    if not user.is_authenticated:
        return list(quizzes)
    mine = Attempt.objects.filter(
        quiz=OuterRef("pk"), user=user, state=Attempt.State.SUBMITTED
    ).order_by()
    count = mine.values("quiz").annotate(n=Count("*")).values("n")
    open_attempt = Attempt.objects.filter(
        quiz=OuterRef("pk"), user=user, state=Attempt.State.IN_PROGRESS
    ).values("pk")
    return list(
        quizzes.annotate(
            attempt_count=Coalesce(Subquery(count[:1]), 0),
            best_score=Subquery(mine.order_by("-score").values("score")[:1]),
            has_passed=Exists(mine.filter(passed=True)),
            open_attempt_id=Subquery(open_attempt[:1]),
        )
    )


def in_path_order(quizzes):
    """Quizzes in the order of the course: after the lesson they follow, then by position."""
    return quizzes.order_by(
        "course_id", F("after_lesson__position").asc(nulls_last=True), "position", "pk"
    )


def best_final_attempt(user, course_id):
    """The learner's best passed attempt of the course's final assessment (a quiz
    drawn by blueprint), or None."""
    return (
        Attempt.objects.filter(
            user=user,
            quiz__course_id=course_id,
            quiz__blueprint__isnull=False,
            state=Attempt.State.SUBMITTED,
            passed=True,
        )
        .order_by("-score", "submitted_at")
        .first()
    )


def attempts_of(user, quiz):
    return list(Attempt.objects.filter(user=user, quiz=quiz).order_by("-number"))


def get_own_attempt(pk, user, *, with_standing=False):
    """An attempt of this learner, or 404: another learner's attempt does not exist.

    `with_standing` adds, in the same query, how many attempts the learner has
    used on the quiz and whether any passed (what the review options need).
    """
    attempts = Attempt.objects.select_related("quiz__course")
    if with_standing:
        theirs = Attempt.objects.filter(user=user, quiz=OuterRef("quiz")).order_by()
        attempts = attempts.annotate(
            used=Subquery(theirs.values("quiz").annotate(n=Count("*")).values("n")[:1]),
            passed_any=Exists(theirs.filter(passed=True)),
            last_submitted=Subquery(
                theirs.filter(submitted_at__isnull=False)
                .order_by("-submitted_at")
                .values("submitted_at")[:1]
            ),
        )
    return get_object_or_404(attempts, pk=pk, user=user)


@dataclass(frozen=True)
class ReviewPolicy:
    """What the review of a submitted attempt may show, by the quiz's review options.

    The score and per-topic mastery are always shown."""

    correctness: bool
    key: bool


FULL_REVIEW = ReviewPolicy(correctness=True, key=True)


def review_policy(attempt):
    """Needs an attempt from `get_own_attempt(..., with_standing=True)` unless the
    quiz shows everything at once."""
    quiz = attempt.quiz

    def shown(when):
        if when == ReviewWhen.IMMEDIATELY:
            return True
        if when == ReviewWhen.NEVER:
            return False
        exhausted = quiz.attempts_allowed is not None and attempt.used >= quiz.attempts_allowed
        return bool(attempt.passed_any) or exhausted

    if not attempt.is_submitted:
        return ReviewPolicy(correctness=False, key=False)
    key = shown(quiz.review_key)
    return ReviewPolicy(correctness=key or shown(quiz.review_correctness), key=key)



def responses_of(attempt):
    return list(attempt.responses.select_related("lesson__course").order_by("position"))


@dataclass
class Topic:
    tag: str
    earned: Decimal = Decimal(0)
    count: int = 0
    lessons: dict = field(default_factory=dict)
    label: str = ""

    def __post_init__(self):
        self.label = self.label or self.tag.replace("-", " ").replace("_", " ").capitalize()

    @property
    def percent(self):
        if not self.count:
            return Decimal(0)
        return (self.earned * 100 / self.count).quantize(Decimal("1"))

    @property
    def weak(self):
        return self.percent < WEAK_BELOW


def topic_labels(course):
    """The course's names for its topic tags (e.g. {"gaba": "GABA"}), if it has any."""
    return getattr(course, "topic_labels", None) or {}


def topics_of(responses, labels=None):
    """Per tag: the share of the mark earned, and the lessons to review."""
    labels = labels or {}
    topics = {}
    for response in responses:
        for tag in response.snapshot.get("tags") or ["general"]:
            topic = topics.setdefault(tag, Topic(tag, label=labels.get(tag, "")))
            topic.earned += response.score or Decimal(0)
            topic.count += 1
            if response.lesson is not None:
                topic.lessons[response.lesson.pk] = response.lesson
    return sorted(topics.values(), key=lambda t: (t.percent, t.tag))


def topic_mastery(user, course_ids, labels=None):
    """Mastery per topic per course: the share correct on the latest submitted
    attempt that touched the topic. Returns {course_id: [Topic]}."""
    responses = (
        Response.objects.filter(
            attempt__user=user,
            attempt__state=Attempt.State.SUBMITTED,
            attempt__quiz__course_id__in=course_ids,
        )
        .select_related("lesson__course")
        .annotate(course_id=F("attempt__quiz__course_id"))
        .order_by("-attempt__submitted_at", "-attempt_id")
    )
    latest = {}  # (course, tag) -> attempt id
    chosen = {}
    for response in responses:
        for tag in response.snapshot.get("tags") or ["general"]:
            key = (response.course_id, tag)
            latest.setdefault(key, response.attempt_id)
            if latest[key] == response.attempt_id:
                chosen.setdefault(response.course_id, {}).setdefault(tag, []).append(response)
    result = {}
    for course_id, by_tag in chosen.items():
        topics = []
        for tag, tagged in by_tag.items():
            topic = Topic(tag, label=(labels or {}).get(course_id, {}).get(tag, ""))
            for response in tagged:
                topic.earned += response.score or Decimal(0)
                topic.count += 1
                if response.lesson is not None:
                    topic.lessons[response.lesson.pk] = response.lesson
            topics.append(topic)
        result[course_id] = sorted(topics, key=lambda t: (t.percent, t.tag))
    return result


def questions_per_attempt(quiz):
    """How many questions one attempt shows: the blueprint's sum, the draw, or all."""
    def total(queryset, expression):
        return Subquery(
            queryset.filter(quiz=OuterRef("pk")).order_by().values("quiz")
            .annotate(total=expression).values("total")
        )

    row = Quiz.objects.filter(pk=quiz.pk).values(
        drawn=total(BlueprintEntry.objects, Sum("count")),
        pool=total(Question.objects, Count("*")),
    ).get()
    if row["drawn"]:
        return row["drawn"]
    pool = row["pool"] or 0
    return min(quiz.questions_per_attempt or pool, pool)


def questions_for_learner(responses):
    """What the attempt page may show: stems and options by their per-attempt
    tokens, never the key or a database id.

    A response that was checked (immediate feedback) also carries its score and
    rationales: the learner has committed to that answer.
    """
    shown = []
    for response in responses:
        snap = response.snapshot
        chosen = set(response.selected)
        item = {
            "id": response.pk,
            "position": response.position,
            "stem": snap["stem"],
            "multiple": snap["kind"] == "multiple",
            "scoring": snap["scoring"],
            "selected": {c["token"] for c in snap["choices"] if c["id"] in chosen},
            "checked": response.checked,
            "choices": [{"token": c["token"], "text": c["text"]} for c in snap["choices"]],
        }
        if response.checked:
            item["review"] = review_of(response)
        shown.append(item)
    return shown


def review_of(response, policy=FULL_REVIEW):
    """One answered question for its review: what was chosen, and as much of the
    key and rationales as `policy` allows (None where it does not)."""
    snap = response.snapshot
    chosen = set(response.selected)
    correctness = policy.correctness or policy.key
    return {
        "position": response.position,
        "stem": snap["stem"],
        "multiple": snap["kind"] == "multiple",
        "scoring": snap["scoring"],
        "score": response.score if correctness else None,
        "percent": (response.score or Decimal(0)) * 100,
        "correct": response.score == 1 if correctness else None,
        "answered": bool(chosen),
        "general_feedback": snap["general_feedback"] if policy.key else "",
        "lesson": response.lesson,
        "shows_key": policy.key,
        "shows_correctness": correctness,
        "choices": [
            {
                "token": c["token"],
                "text": c["text"],
                "chosen": c["id"] in chosen,
                "correct": c["correct"] if policy.key else None,
                "feedback": c["feedback"] if policy.key else "",
            }
            for c in snap["choices"]
        ],
    }
