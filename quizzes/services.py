"""Writes of the assessment engine: start, answer, check, submit.

Every function is keyword-only and atomic. Races are closed by the database:
one open attempt per learner and quiz and unique attempt numbers (unique
constraints), a row lock on the attempt while answers are saved, and a
conditional UPDATE that lets exactly one submit grade an attempt.
"""

import random

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import scoring
from .models import Attempt, Question, Response


class QuizError(Exception):
    """A learner action that cannot be done; the message says why."""

    status = 400


class AttemptsExhausted(QuizError):
    status = 403


class AttemptClosed(QuizError):
    status = 409


def question_pool(quiz):
    """The quiz's own questions and those of the quizzes it draws from."""
    return list(
        Question.objects.filter(Q(quiz=quiz) | Q(quiz__in=quiz.draws_from.all()))
        .select_related("quiz")
        .prefetch_related("choices")
        .order_by("quiz__position", "quiz_id", "position", "pk")
    )


def snapshot_of(question, choices):
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
                "text": c.text,
                "correct": c.is_correct,
                "weight": str(c.weight),
                "feedback": c.feedback,
            }
            for c in choices
        ],
    }


def _draw(quiz, rng):
    pool = question_pool(quiz)
    if not pool:
        raise QuizError("This quiz has no questions yet.")
    drawn = pool
    if quiz.questions_per_attempt and quiz.questions_per_attempt < len(pool):
        drawn = rng.sample(pool, quiz.questions_per_attempt)
        if not quiz.shuffle_questions:
            order = {q.pk: n for n, q in enumerate(pool)}
            drawn.sort(key=lambda q: order[q.pk])
    elif quiz.shuffle_questions:
        drawn = pool[:]
        rng.shuffle(drawn)
    return drawn


@transaction.atomic
def start_attempt(*, user, quiz, rng=None):
    """Give back the learner's open attempt, or start a new one. Returns (attempt, created)."""
    rng = rng or random.SystemRandom()
    open_attempt = Attempt.objects.filter(user=user, quiz=quiz, state=Attempt.State.IN_PROGRESS)
    existing = open_attempt.first()
    if existing:
        return existing, False
    used = Attempt.objects.filter(user=user, quiz=quiz).count()
    if quiz.attempts_allowed is not None and used >= quiz.attempts_allowed:
        # A concurrent request may have opened the last allowed attempt since
        # we looked: that one is the learner's to resume.
        existing = open_attempt.first()
        if existing:
            return existing, False
        raise AttemptsExhausted(
            f"You have used all {quiz.attempts_allowed} attempt(s) allowed for this quiz."
        )
    questions = _draw(quiz, rng)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(user=user, quiz=quiz, number=used + 1)
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
    locked = (
        Attempt.objects.select_for_update()
        .filter(pk=attempt.pk, state=Attempt.State.IN_PROGRESS)
        .first()
    )
    if locked is None:
        raise AttemptClosed(
            "This attempt has already been submitted; answers can no longer change."
        )
    return locked


def _validated(responses, answers):
    """Check every answer against what the learner was shown. Returns {response: ids}."""
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
        label = f"Question {response.position}"
        ids = []
        for value in values:
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                raise QuizError(f"{label}: {value!r} is not an option id.") from None
        offered = {c["id"] for c in response.snapshot["choices"]}
        strangers = [i for i in ids if i not in offered]
        if strangers:
            raise QuizError(f"{label}: option {strangers[0]} is not one of its options.")
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
    """Save answers ({response id: [choice ids]}); an empty list clears one.

    `check` names responses to lock and score now (immediate-feedback quizzes).
    Nothing is saved if any answer is invalid.
    """
    now = now or timezone.now()
    attempt = _lock_open(attempt)
    responses = list(attempt.responses.all())
    changes = _validated(responses, answers)
    if check and attempt.quiz.feedback != attempt.quiz.Feedback.IMMEDIATE:
        raise QuizError("This quiz gives feedback after submission only.")
    to_check = {int(i) for i in check} if check else set()
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
    return Attempt.objects.select_related("quiz").get(pk=attempt.pk), True


@transaction.atomic
def save_and_submit(*, attempt, answers, now=None):
    """The learner's last answers and the submission, in one transaction."""
    save_answers(attempt=attempt, answers=answers, now=now)
    return submit_attempt(attempt=attempt, now=now)
