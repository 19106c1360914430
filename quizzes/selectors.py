"""Reads of the assessment engine, each in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Aggregate, Count, Exists, F, Func, JSONField, OuterRef, Subquery
from django.http import Http404

from . import caching
from .models import Attempt, Quiz, Response, ReviewWhen
from .prepared import PreparedQuery

WEAK_BELOW = Decimal(80)  # percent: a topic under this is shown as one to review
# A lesson's long texts and objectives (JSON, decoded per row): never needed
# where a question only links its lesson.
LESSON_TEXTS = (
    "lesson__body", "lesson__body_html", "lesson__notes", "lesson__notes_html",
    "lesson__objectives",
)


_quiz_by_slugs = PreparedQuery(
    lambda course_slug, slug: Quiz.objects.published().select_related("course", "after_lesson")
    .defer(
        "after_lesson__body", "after_lesson__body_html", "after_lesson__notes",
        "after_lesson__notes_html", "course__summary",
    ).filter(course__slug=course_slug, slug=slug),
    text=(0, 1),
)


def find_quiz(course_slug, slug):
    """A published quiz with its course and the lesson it follows, or None."""
    found = _quiz_by_slugs(course_slug, slug)
    if not found:
        return None
    quiz = found[0]
    if quiz.after_lesson is not None:
        quiz.after_lesson.course = quiz.course  # (its URL names the course)
    return quiz


def get_quiz(course_slug, slug):
    """`find_quiz`, from the cached quiz page, or 404."""
    page = caching.quiz_page(course_slug, slug)
    if page is None:
        raise Http404("No such quiz.")
    return page.quiz


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


_published_quiz = PreparedQuery(
    lambda pk: Quiz.objects.published().select_related("course").filter(pk=pk)
)


def find_published_quiz(pk):
    """A published quiz with its course, or None."""
    found = _published_quiz(pk)
    return found[0] if found else None


def get_published_quiz(pk):
    """A published quiz with its course, from the cache, or 404."""
    quiz = caching.published_quiz(pk)
    if quiz is None:
        raise Http404("No such quiz.")
    return quiz


_attempts_of = PreparedQuery(
    lambda user_id, quiz_id: Attempt.objects.filter(user_id=user_id, quiz_id=quiz_id)
    .order_by("-number")
)


def attempts_of(user, quiz):
    """The learner's attempts of the quiz, the latest first."""
    return _attempts_of(user.pk, quiz.pk)


class _AsJSON(Func):
    """A JSON column as JSON inside JSON functions (SQLite keeps it as text)."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="JSON(%(expressions)s)",
                           **extra_context)


class _AnswerStates(Aggregate):
    """[[response id, chosen option ids, checked], ...] of the rows, one value."""

    output_field = JSONField()

    def __init__(self):
        super().__init__(F("pk"), _AsJSON(F("selected")), F("checked"))

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_AGG",
                           template="%(function)s(JSONB_BUILD_ARRAY(%(expressions)s))",
                           **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY",
                           template="%(function)s(JSON_ARRAY(%(expressions)s))",
                           **extra_context)


def _own_attempt(extra):
    def build(pk, user_id):
        attempts = Attempt.objects.select_related("quiz__course").filter(pk=pk, user_id=user_id)
        if extra == "answers":
            answers = (
                Response.objects.filter(attempt_id=OuterRef("pk")).order_by()
                .values("attempt_id").annotate(states=_AnswerStates()).values("states")
            )
            return attempts.annotate(answer_states=Subquery(answers, output_field=JSONField()))
        if extra != "standing":
            return attempts
        theirs = Attempt.objects.filter(user_id=user_id, quiz=OuterRef("quiz")).order_by()
        return attempts.annotate(
            used=Subquery(theirs.values("quiz").annotate(n=Count("*")).values("n")[:1]),
            passed_any=Exists(theirs.filter(passed=True)),
            last_submitted=Subquery(
                theirs.filter(submitted_at__isnull=False)
                .order_by("-submitted_at")
                .values("submitted_at")[:1]
            ),
        )

    return PreparedQuery(build)


_OWN_ATTEMPT = {extra: _own_attempt(extra) for extra in (None, "standing", "answers")}


def get_own_attempt(pk, user, *, with_standing=False, with_answers=False):
    """An attempt of this learner, or 404: another learner's attempt does not exist.

    `with_standing` adds, in the same query, how many attempts the learner has
    used on the quiz and whether any passed (what the review options need);
    `with_answers`, its `answer_states`: what of it changes as the learner
    answers, (response id, chosen option ids, checked) per response, in no
    order, without the snapshots (None for an attempt without questions).
    """
    if not user.is_authenticated:
        raise Http404("No such attempt.")
    extra = "standing" if with_standing else "answers" if with_answers else None
    found = _OWN_ATTEMPT[extra](pk, user.pk)
    if not found:
        raise Http404("No such attempt.")
    attempt = found[0]
    if with_answers and attempt.answer_states is not None:  # (SQLite's JSON: 0 and 1)
        attempt.answer_states = [(pk, selected, bool(checked))
                                 for pk, selected, checked in attempt.answer_states]
    return attempt


@dataclass(frozen=True)
class ReviewPolicy:
    """What the review of a submitted attempt may show, by the quiz's review options.

    The score and per-topic mastery are always shown."""

    correctness: bool
    key: bool


FULL_REVIEW = ReviewPolicy(correctness=True, key=True)


def with_standing(attempt):
    """Give the attempt what `review_policy` needs when a review option waits
    for the learner to pass or run out of attempts: `used` and `passed_any`
    (one query, and only for such a quiz)."""
    quiz = attempt.quiz
    if ReviewWhen.WHEN_CLOSED in (quiz.review_key, quiz.review_correctness):
        passed = list(
            Attempt.objects.filter(user_id=attempt.user_id, quiz_id=quiz.pk).values_list(
                "passed", flat=True
            )
        )
        attempt.used, attempt.passed_any = len(passed), any(passed)
    return attempt


def review_policy(attempt):
    """Needs an attempt from `get_own_attempt(..., with_standing=True)` or
    `with_standing` unless the quiz shows everything at once."""
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



_responses_of = PreparedQuery(
    lambda attempt_id: Response.objects.filter(attempt_id=attempt_id)
    .select_related("lesson").defer(*LESSON_TEXTS).order_by("position")
)


_snapshots_of = PreparedQuery(
    lambda attempt_id: Response.objects.filter(attempt_id=attempt_id)
    .order_by("position").values_list("pk", "position", "snapshot")
)


def snapshots_of(attempt):
    """(response id, position, snapshot) of an attempt's questions, in order."""
    return _snapshots_of(attempt.pk)


def responses_of(attempt):
    """An attempt's responses in order, each with the lesson to review (its course
    is the attempt's): the lessons' texts are not read."""
    responses = _responses_of(attempt.pk)
    urls = {}  # one reverse() per lesson, not per question
    for response in responses:
        response.attempt = attempt
        lesson = response.lesson
        if lesson is not None:
            lesson.course = attempt.quiz.course
            if lesson.pk not in urls:
                urls[lesson.pk] = lesson.get_absolute_url()
            lesson.absolute_url = urls[lesson.pk]
    return responses


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


def questions_per_attempt(quiz):
    """How many questions one attempt shows: what the blueprint draws from each
    source, the quiz's draw, or all; from the cached pool, without a query."""
    pool = caching.cached_pool(quiz)
    if pool and pool[0]["draw"] is not None:
        per_source = {}
        for question in pool:
            per_source[question["quiz_id"]] = per_source.get(question["quiz_id"], 0) + 1
        draws = {question["quiz_id"]: question["draw"] for question in pool}
        return sum(min(draws[source], n) for source, n in per_source.items())
    return min(quiz.questions_per_attempt or len(pool), len(pool))


def shown_question(pk, position, snapshot):
    """One question as the attempt page may show it, nothing chosen: its stem
    and its options by their per-attempt tokens, never the key or a database id."""
    return {
        "id": pk,
        "position": position,
        "stem": snapshot["stem"],
        "multiple": snapshot["kind"] == "multiple",
        "scoring": snapshot["scoring"],
        "selected": set(),
        "checked": False,
        "choices": [{"token": c["token"], "text": c["text"]} for c in snapshot["choices"]],
    }


def questions_for_learner(responses):
    """`shown_question` of each response, with the options chosen (by token).

    A response that was checked (immediate feedback) also carries its score and
    rationales: the learner has committed to that answer.
    """
    shown = []
    for response in responses:
        snap = response.snapshot
        chosen = set(response.selected)
        item = shown_question(response.pk, response.position, snap)
        item["selected"] = {c["token"] for c in snap["choices"] if c["id"] in chosen}
        if response.checked:
            item["checked"] = True
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


_PROGRESS_FIELDS = ("pk", "quiz_id", "state", "score", "passed", "topics")
_attempts_of_learner = PreparedQuery(
    lambda user_id: Attempt.objects.filter(user_id=user_id)
    .order_by(F("submitted_at").desc(nulls_last=True), "-pk")
    .values_list(*_PROGRESS_FIELDS)
)


def attempts_for_progress(user, quiz_ids):
    """The learner's attempts of these quizzes, newest submission first, as plain
    rows for `with_results` and `mastery_from`: one query, nothing recomputed."""
    if not user.is_authenticated or not quiz_ids:
        return []
    quiz_ids = set(quiz_ids)
    return [
        dict(zip(_PROGRESS_FIELDS, row, strict=True))
        for row in _attempts_of_learner(user.pk)
        if row[1] in quiz_ids
    ]


def with_results(quizzes, attempts):
    """`quizzes`, each given the learner's attempt count, best score, whether one
    passed and the open attempt, from `attempts_for_progress` rows."""
    by_quiz = {}
    for row in attempts:
        by_quiz.setdefault(row["quiz_id"], []).append(row)
    for quiz in quizzes:
        mine = by_quiz.get(quiz.pk, [])
        submitted = [row for row in mine if row["state"] == Attempt.State.SUBMITTED]
        quiz.attempt_count = len(submitted)
        quiz.best_score = max((row["score"] for row in submitted), default=None)
        quiz.has_passed = any(row["passed"] for row in submitted)
        quiz.open_attempt_id = next(
            (row["pk"] for row in mine if row["state"] == Attempt.State.IN_PROGRESS), None
        )
    return quizzes


def mastery_from(attempts, course_of, labels=None, lessons=None):
    """Mastery per topic per course from the points stored on each submitted
    attempt: the share earned on the latest submitted attempt that touched the
    topic. `course_of` maps quiz id to course id; `lessons` maps lesson id to
    the lesson to link (others are left out). Returns {course_id: [Topic]}."""
    labels, lessons = labels or {}, lessons or {}
    result = {}
    for row in attempts:  # newest submission first
        if row["state"] != Attempt.State.SUBMITTED:
            continue
        course_id = course_of.get(row["quiz_id"])
        topics = result.setdefault(course_id, {})
        for tag, (earned, count, lesson_ids) in (row["topics"] or {}).items():
            if tag in topics:
                continue
            topic = Topic(tag, Decimal(earned), count,
                          label=labels.get(course_id, {}).get(tag, ""))
            topic.lessons = {pk: lessons[pk] for pk in lesson_ids if pk in lessons}
            topics[tag] = topic
    return {
        course_id: sorted(topics.values(), key=lambda t: (t.percent, t.tag))
        for course_id, topics in result.items()
    }
