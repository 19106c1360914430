"""Reads of the assessment engine, each in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .models import Attempt, Question, Quiz, Response

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
    quizzes = Quiz.objects.published().filter(course_id__in=course_ids)
    if not user.is_authenticated:
        return list(quizzes)
    mine = Attempt.objects.filter(
        quiz=OuterRef("pk"), user=user, state=Attempt.State.SUBMITTED
    ).order_by()
    count = mine.values("quiz").annotate(n=Count("*")).values("n")
    return list(
        quizzes.annotate(
            attempt_count=Coalesce(Subquery(count[:1]), 0),
            best_score=Subquery(mine.order_by("-score").values("score")[:1]),
            has_passed=Exists(mine.filter(passed=True)),
        )
    )


def attempts_of(user, quiz):
    return list(Attempt.objects.filter(user=user, quiz=quiz).order_by("-number"))


def get_own_attempt(pk, user):
    """An attempt of this learner, or 404: another learner's attempt does not exist."""
    return get_object_or_404(
        Attempt.objects.select_related("quiz__course"), pk=pk, user=user
    )


def responses_of(attempt):
    return list(attempt.responses.select_related("lesson__course").order_by("position"))


@dataclass
class Topic:
    tag: str
    earned: Decimal = Decimal(0)
    count: int = 0
    lessons: dict = field(default_factory=dict)

    @property
    def label(self):
        return self.tag.replace("-", " ").replace("_", " ").capitalize()

    @property
    def percent(self):
        if not self.count:
            return Decimal(0)
        return (self.earned * 100 / self.count).quantize(Decimal("1"))

    @property
    def weak(self):
        return self.percent < WEAK_BELOW


def topics_of(responses):
    """Per tag: the share of the mark earned, and the lessons to review."""
    topics = {}
    for response in responses:
        for tag in response.snapshot.get("tags") or ["general"]:
            topic = topics.setdefault(tag, Topic(tag))
            topic.earned += response.score or Decimal(0)
            topic.count += 1
            if response.lesson is not None:
                topic.lessons[response.lesson.pk] = response.lesson
    return sorted(topics.values(), key=lambda t: (t.percent, t.tag))


def topic_mastery(user, course_ids):
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
            topic = Topic(tag)
            for response in tagged:
                topic.earned += response.score or Decimal(0)
                topic.count += 1
                if response.lesson is not None:
                    topic.lessons[response.lesson.pk] = response.lesson
            topics.append(topic)
        result[course_id] = sorted(topics, key=lambda t: (t.percent, t.tag))
    return result


def pool_size(quiz):
    return Question.objects.filter(Q(quiz=quiz) | Q(quiz__in=quiz.draws_from.all())).count()


def questions_for_learner(responses):
    """What the attempt page may show: stems and option texts, never the key.

    A response that was checked (immediate feedback) also carries its score and
    rationales: the learner has committed to that answer.
    """
    shown = []
    for response in responses:
        snap = response.snapshot
        item = {
            "id": response.pk,
            "position": response.position,
            "stem": snap["stem"],
            "multiple": snap["kind"] == "multiple",
            "selected": set(response.selected),
            "checked": response.checked,
            "choices": [{"id": c["id"], "text": c["text"]} for c in snap["choices"]],
        }
        if response.checked:
            item["review"] = review_of(response)
        shown.append(item)
    return shown


def review_of(response):
    """Everything about one answered question, key and rationales included."""
    snap = response.snapshot
    chosen = set(response.selected)
    return {
        "position": response.position,
        "stem": snap["stem"],
        "multiple": snap["kind"] == "multiple",
        "scoring": snap["scoring"],
        "score": response.score,
        "percent": (response.score or Decimal(0)) * 100,
        "correct": response.score == 1,
        "answered": bool(chosen),
        "general_feedback": snap["general_feedback"],
        "lesson": response.lesson,
        "choices": [
            {**c, "chosen": c["id"] in chosen} for c in snap["choices"]
        ],
    }
