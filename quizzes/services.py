"""Writes of the assessment engine: start, answer, check, submit.

Every function is keyword-only and atomic. Races are closed by the database:
one open attempt per learner and quiz and unique attempt numbers (unique
constraints), a row lock on the attempt while answers are saved, and a
conditional UPDATE that lets exactly one submit grade an attempt.
"""

import random
import secrets
from datetime import timedelta
from itertools import groupby

from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, Value
from django.utils import timezone

from . import scoring
from .signals import attempt_submitted
from .models import Attempt, Question, Response


class QuizError(Exception):
    """A learner action that cannot be done; the message says why."""

    status = 400


class AttemptsExhausted(QuizError):
    status = 403


class AttemptClosed(QuizError):
    status = 409


CLOSED_MESSAGE = "This attempt has already been submitted; answers can no longer change."


def new_option_token():
    """A per-attempt name for an option: random, so it says nothing about the key,
    the authoring order or the database id."""
    return secrets.token_urlsafe(9)


def snapshot_of(question, choices):
    """What the learner is shown of a question, frozen, with the key beside it.

    Options carry a random `token`: pages and the API name options by it only.
    """
    return {
        "question_id": question.pk,
        "title": question.title,
        "kind": question.kind,
        "scoring": question.scoring,
        "stem": question.stem,
        "general_feedback": question.general_feedback,
        "tags": list(question.tags),
        "choices": [
            {
                "id": c.pk,
                "token": new_option_token(),
                "text": c.text,
                "correct": c.is_correct,
                "weight": str(c.weight),
                "feedback": c.feedback,
            }
            for c in choices
        ],
    }


def _sample(pool, count, seen, rng):
    """`count` of `pool`, preferring questions this learner has not been shown yet."""
    fresh = [q for q in pool if q.pk not in seen]
    if len(fresh) >= count:
        return rng.sample(fresh, count)
    stale = [q for q in pool if q.pk in seen]
    return fresh + rng.sample(stale, min(count - len(fresh), len(stale)))


def question_pool(quiz):
    """Every question an attempt may draw, each with `draw`: how many questions
    of its quiz one attempt takes (the blueprint's count; None without one).

    One query for the blueprint's sources, or, for a quiz without a blueprint,
    a second one for its own questions; the options come prefetched.
    """
    questions = Question.objects.prefetch_related("choices").order_by("quiz_id", "position", "pk")
    pool = list(
        questions.filter(quiz__drawn_into__quiz=quiz).annotate(draw=F("quiz__drawn_into__count"))
    )
    own = questions.filter(quiz=quiz).annotate(draw=Value(None, IntegerField()))
    return pool or list(own)


def _draw(quiz, rng, seen):
    """The questions of a new attempt: by blueprint, or from the quiz's own questions."""
    pool = question_pool(quiz)
    if not pool:
        raise QuizError("This quiz has no questions yet.")
    if pool[0].draw is not None:
        drawn = []
        for _, group in groupby(pool, key=lambda q: q.quiz_id):
            group = list(group)
            chosen = _sample(group, group[0].draw, seen, rng)
            drawn.extend(sorted(chosen, key=lambda q: (q.position, q.pk)))
    elif quiz.questions_per_attempt and quiz.questions_per_attempt < len(pool):
        drawn = _sample(pool, quiz.questions_per_attempt, seen, rng)
        drawn.sort(key=lambda q: (q.position, q.pk))
    else:
        drawn = pool
    if quiz.shuffle_questions:
        drawn = drawn[:]
        rng.shuffle(drawn)
    return drawn


def start_refusal(quiz, *, used, last_submitted, now=None):
    """Why a new attempt cannot start now (none left, or the wait after the last
    is not over), or None."""
    now = now or timezone.now()
    if quiz.attempts_allowed is not None and used >= quiz.attempts_allowed:
        return f"You have used all {quiz.attempts_allowed} attempt(s) allowed for this quiz."
    if quiz.retake_wait_hours and last_submitted:
        ready = last_submitted + timedelta(hours=quiz.retake_wait_hours)
        if ready > now:
            when = timezone.localtime(ready).strftime("%d %b %Y, %H:%M %Z")
            return (
                f"You can start another attempt of this quiz from {when} "
                f"({quiz.retake_wait_hours} hours after your last one)."
            )
    return None


def may_start(quiz, attempts, now=None):
    """Refuse a new attempt when none is left or the wait after the last is not over."""
    submitted = [a.submitted_at for a in attempts if a.submitted_at]
    refusal = start_refusal(
        quiz, used=len(attempts), last_submitted=max(submitted, default=None), now=now
    )
    if refusal:
        raise AttemptsExhausted(refusal)


@transaction.atomic
def start_attempt(*, user, quiz, rng=None, now=None):
    """Give back the learner's open attempt, or start a new one. Returns (attempt, created)."""
    rng = rng or random.SystemRandom()
    now = now or timezone.now()
    open_attempt = Attempt.objects.filter(user=user, quiz=quiz, state=Attempt.State.IN_PROGRESS)
    attempts = list(Attempt.objects.filter(user=user, quiz=quiz))
    existing = next((a for a in attempts if not a.is_submitted), None)
    if existing:
        return existing, False
    try:
        may_start(quiz, attempts, now)
    except AttemptsExhausted:
        # A concurrent request may have opened the last allowed attempt since
        # we looked: that one is the learner's to resume.
        existing = open_attempt.first()
        if existing:
            return existing, False
        raise
    seen = set(
        Response.objects.filter(attempt__user=user, attempt__quiz=quiz).values_list(
            "question_id", flat=True
        )
    ) if attempts else set()
    questions = _draw(quiz, rng, seen)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(user=user, quiz=quiz, number=len(attempts) + 1)
    except IntegrityError:
        # Another request (a second tab, a double click) started it first.
        existing = open_attempt.first()
        if existing:
            return existing, False
        raise AttemptsExhausted("You have used all attempts allowed for this quiz.") from None
    responses = []
    for position, question in enumerate(questions, start=1):
        choices = list(question.choices.all())
        if quiz.shuffle_choices:
            rng.shuffle(choices)
        responses.append(
            Response(
                attempt=attempt,
                question=question,
                lesson_id=question.lesson_id,
                position=position,
                snapshot=snapshot_of(question, choices),
            )
        )
    Response.objects.bulk_create(responses)
    return attempt, True


def _lock_open(attempt):
    """Lock an open attempt (the submit takes the same row first), then read its
    responses: (attempt, responses)."""
    locked = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("quiz")
        .filter(pk=attempt.pk, state=Attempt.State.IN_PROGRESS)
        .first()
    )
    if locked is None:
        raise AttemptClosed(CLOSED_MESSAGE)
    return locked, list(Response.objects.filter(attempt_id=locked.pk).order_by("position"))


def _validated(responses, answers):
    """Check every answer against what the learner was shown.

    `answers` maps a response id to option tokens. Returns {response: choice ids}.
    """
    by_id = {r.pk: r for r in responses}
    changes = {}
    for key, values in answers.items():
        try:
            response_id = int(key)
        except (TypeError, ValueError):
            raise QuizError(f"{key!r} is not a question of this attempt.") from None
        response = by_id.get(response_id)
        if response is None:
            raise QuizError(f"{key!r} is not a question of this attempt.")
        label = f"Question {response.position} (id {response.pk})"
        tokens = {c["token"]: c["id"] for c in response.snapshot["choices"]}
        strangers = [v for v in values if v not in tokens]
        if strangers:
            raise QuizError(f"{label}: {str(strangers[0])[:40]!r} is not one of its options.")
        ids = [tokens[v] for v in values]
        if len(set(ids)) != len(ids):
            raise QuizError(f"{label}: an option is chosen twice.")
        if response.snapshot["kind"] == "single" and len(ids) > 1:
            raise QuizError(f"{label}: choose only one option.")
        if response.checked and sorted(ids) != sorted(response.selected):
            raise QuizError(f"{label} has been checked; its answer can no longer change.")
        changes[response] = sorted(ids)
    return changes


@transaction.atomic
def save_answers(*, attempt, answers, check=(), now=None):
    """Save answers ({response id: [option tokens]}); an empty list clears one.

    `check` names responses to lock and score now (immediate-feedback quizzes).
    Nothing is saved if any answer is invalid.
    """
    now = now or timezone.now()
    attempt, responses = _lock_open(attempt)
    changes = _validated(responses, answers)
    if check and attempt.quiz.feedback != attempt.quiz.Feedback.IMMEDIATE:
        raise QuizError("This quiz gives feedback after submission only.")
    not_here = "That question cannot be checked: it is not a question of this attempt."
    try:
        to_check = {int(i) for i in check}
    except (TypeError, ValueError):
        raise QuizError(not_here) from None
    if to_check - {r.pk for r in responses}:
        raise QuizError(not_here)
    dirty = []
    for response in responses:
        changed = response in changes and changes[response] != response.selected
        if changed:
            response.selected = changes[response]
            response.answered_at = now
        if response.pk in to_check and not response.checked:
            if not response.selected:
                raise QuizError(f"Question {response.position}: choose an answer to check.")
            response.checked = True
            response.score = scoring.score_response(response.snapshot, response.selected)
            changed = True
        if changed:
            dirty.append(response)
    if dirty:
        Response.objects.bulk_update(dirty, ["selected", "answered_at", "checked", "score"])
    return attempt


@transaction.atomic
def submit_attempt(*, attempt, now=None):
    """Grade an attempt exactly once. Returns (attempt, graded_now)."""
    now = now or timezone.now()
    claimed = Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.IN_PROGRESS).update(
        state=Attempt.State.SUBMITTED, submitted_at=now, score=0, passed=False
    )
    if not claimed:
        return Attempt.objects.select_related("quiz").get(pk=attempt.pk), False
    responses = list(Response.objects.filter(attempt_id=attempt.pk))
    for response in responses:
        response.score = scoring.score_response(response.snapshot, response.selected)
    Response.objects.bulk_update(responses, ["score"])
    quiz = attempt.quiz
    percent = scoring.attempt_percent(r.score for r in responses)
    Attempt.objects.filter(pk=attempt.pk).update(
        score=percent, passed=scoring.passed(percent, quiz.pass_mark)
    )
    graded = Attempt.objects.select_related("quiz").get(pk=attempt.pk)
    attempt_submitted.send(sender=Attempt, attempt=graded)
    return graded, True


@transaction.atomic
def save_and_submit(*, attempt, answers, now=None):
    """The learner's last answers and the submission, in one transaction."""
    save_answers(attempt=attempt, answers=answers, now=now)
    return submit_attempt(attempt=attempt, now=now)
