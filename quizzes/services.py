"""Writes of the assessment engine: start, answer, check, submit.

Every function is keyword-only and atomic. Races are closed by the database:
one open attempt per learner and quiz and unique attempt numbers (unique
constraints, met by INSERT … ON CONFLICT DO NOTHING), and a row lock on the
attempt taken first by every answer and submit, so that they never interleave
and exactly one submit grades an attempt. Each write is one statement.
"""

import functools
import json
import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import groupby

from django.db import connection, transaction
from django.utils import timezone

from . import caching, scoring
from .models import Attempt, Response
from .prepared import PreparedQuery
from .selectors import attempts_of, responses_of
from .signals import attempt_submitted


class QuizError(Exception):
    """A learner action that cannot be done; the message says why."""

    status = 400


class AttemptsExhausted(QuizError):
    status = 403


class AttemptClosed(QuizError):
    status = 409


class AttemptNotFound(QuizError):
    """No such attempt for this learner: another learner's attempt does not exist."""

    status = 404


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
    fresh = [q for q in pool if q["id"] not in seen]
    if len(fresh) >= count:
        return rng.sample(fresh, count)
    stale = [q for q in pool if q["id"] in seen]
    return fresh + rng.sample(stale, min(count - len(fresh), len(stale)))


def _in_order(questions):
    return sorted(questions, key=lambda q: (q["position"], q["id"]))


def _samples(quiz, pool):
    """Whether an attempt draws some of the pool (so unseen questions go first)."""
    if pool[0]["draw"] is not None:
        return True
    return bool(quiz.questions_per_attempt and quiz.questions_per_attempt < len(pool))


def _draw(quiz, pool, rng, seen):
    """The questions of a new attempt: by blueprint, or from the quiz's own questions."""
    if pool[0]["draw"] is not None:
        drawn = []
        for _, group in groupby(pool, key=lambda q: q["quiz_id"]):
            group = list(group)
            drawn.extend(_in_order(_sample(group, group[0]["draw"], seen, rng)))
    elif _samples(quiz, pool):
        drawn = _in_order(_sample(pool, quiz.questions_per_attempt, seen, rng))
    else:
        drawn = list(pool)
    if quiz.shuffle_questions:
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


def _open_attempt(user, quiz):
    return Attempt.objects.filter(user=user, quiz=quiz, state=Attempt.State.IN_PROGRESS).first()


def _insert_attempt(*, user, quiz, number, now):
    """The new attempt's id, or None if a concurrent request opened one first
    (the unique constraints refuse it): one INSERT, no savepoint."""
    table = connection.ops.quote_name(Attempt._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, quiz_id, number, state, started_at, topics) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [user.pk, quiz.pk, number, Attempt.State.IN_PROGRESS,
             Attempt._meta.get_field("started_at").get_db_prep_save(now, connection), "{}"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@transaction.atomic
def start_attempt(*, user, quiz, rng=None, now=None):
    """Give back the learner's open attempt, or start a new one. Returns (attempt, created).

    A new attempt carries its responses as `attempt.response_list`. The pool
    comes from the cache; the writes are one INSERT for the attempt and one for
    its responses.
    """
    rng = rng or random.SystemRandom()
    now = now or timezone.now()
    attempts = attempts_of(user, quiz)
    existing = next((a for a in attempts if not a.is_submitted), None)
    if existing:
        return existing, False
    try:
        may_start(quiz, attempts, now)
    except AttemptsExhausted:
        # A concurrent request may have opened the last allowed attempt since
        # we looked: that one is the learner's to resume.
        existing = _open_attempt(user, quiz)
        if existing:
            return existing, False
        raise
    pool = caching.cached_pool(quiz)
    if not pool:
        raise QuizError("This quiz has no questions yet.")
    seen = set()
    if attempts and _samples(quiz, pool):
        seen = set(
            Response.objects.filter(attempt__user=user, attempt__quiz=quiz).values_list(
                "question_id", flat=True
            )
        )
    questions = _draw(quiz, pool, rng, seen)
    attempt_id = _insert_attempt(user=user, quiz=quiz, number=len(attempts) + 1, now=now)
    if attempt_id is None:
        # Another request (a second tab, a double click) started it first.
        existing = _open_attempt(user, quiz)
        if existing:
            return existing, False
        raise AttemptsExhausted("You have used all attempts allowed for this quiz.")
    attempt = Attempt(
        pk=attempt_id, user=user, quiz=quiz, number=len(attempts) + 1, started_at=now
    )
    attempt._state.adding, attempt._state.db = False, "default"  # it is in the database
    responses = []
    for position, question in enumerate(questions, start=1):
        snapshot = dict(question["snapshot"])
        choices = [{**choice, "token": new_option_token()} for choice in snapshot["choices"]]
        if quiz.shuffle_choices:
            rng.shuffle(choices)
        snapshot["choices"] = choices
        responses.append(
            Response(
                attempt=attempt,
                question_id=question["id"],
                lesson_id=question["lesson_id"],
                position=position,
                snapshot=snapshot,
            )
        )
    ids = _insert_rows(
        Response,
        ["attempt", "question", "lesson", "position", "snapshot", "selected", "checked"],
        [(attempt.pk, r.question_id, r.lesson_id, r.position, r.snapshot, [], False)
         for r in responses],
        key="position",
    )
    for response in responses:
        response.pk, response._state.adding, response._state.db = (
            ids[response.position], False, "default")
    attempt.response_list = responses
    return attempt, True


def _json_value(value):
    """JSON for what a row holds besides JSON itself: times and decimals as text,
    which PostgreSQL reads back exactly."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value")


def _row_source(columns, rows):
    """(WITH clause, FROM item, params) for a table `v` holding `rows`, one
    column per field.

    PostgreSQL gets the rows as one JSON document, read by jsonb_to_recordset:
    one parameter to quote instead of one per value (psycopg quotes each, and
    stops caching a statement's parsing past 50 parameters). SQLite gets
    VALUES in a common table expression, each value prepared by its field.
    """
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        names = [column.column for column in columns]
        document = json.dumps([dict(zip(names, row, strict=True)) for row in rows],
                              default=_json_value)
        typed = ", ".join(f"{quote(c.column)} {c.db_type(connection)}" for c in columns)
        return "", f"jsonb_to_recordset(%s::jsonb) AS v({typed})", [document]
    params = [
        column.get_db_prep_save(value, connection)
        for row in rows
        for column, value in zip(columns, row, strict=True)
    ]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = ", ".join(quote(column.column) for column in columns)
    return f"WITH v({names}) AS (VALUES {', '.join([one] * len(rows))}) ", "v", params


def _insert_rows(model, fields, rows, *, key):
    """Insert many rows in one INSERT … SELECT … RETURNING; {the row's `key`
    field, unique among `rows`: its new id} (by a field of the rows, not by the
    order RETURNING gives them, which neither PostgreSQL nor SQLite promises to
    be the order of the SELECT).

    (On PostgreSQL, `bulk_create` sends arrays for UNNEST, and quoting the
    snapshots into a JSON array costs more than the rest of a quiz start.)
    """
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    with_rows, source, params = _row_source(columns, rows)
    names = ", ".join(quote(c.column) for c in columns)
    sql = (
        f"{with_rows}INSERT INTO {quote(meta.db_table)} ({names}) SELECT {names} "
        f"FROM {source} RETURNING {quote(meta.get_field(key).column)}, "
        f"{quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict(cursor.fetchall())
    if len(ids) != len(rows):
        raise ValueError(f"{key!r} is not unique among the rows inserted")
    return ids


def _update_rows(model, fields, rows, *, unless=None):
    """Write many rows in one statement: UPDATE … FROM (the rows); returns how
    many rows it wrote.

    `rows` are tuples of (primary key, value per field); `unless` names a
    boolean column: rows where it is true are left alone. Much cheaper than
    `bulk_update`'s CASE expressions.
    """
    if not rows:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    with_rows, source, params = _row_source(columns, rows)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sets = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns[1:])
    where = f"{table}.{pk} = v.{pk}"
    if unless:
        where += f" AND NOT {table}.{quote(meta.get_field(unless).column)}"
    sql = (f"{with_rows}UPDATE {table} SET {sets} FROM {source} WHERE {where} "
           f"RETURNING {table}.{pk}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())  # (sqlite3 gives no rowcount after WITH)


def _locked_attempts():
    return Attempt.objects.select_for_update(of=("self",)).select_related("quiz__course")


_lock_own = PreparedQuery(
    lambda attempt_id, user_id: _locked_attempts().filter(pk=attempt_id, user_id=user_id)
)
_lock_any = PreparedQuery(lambda attempt_id: _locked_attempts().filter(pk=attempt_id))


def _lock(attempt_id, user):
    """Lock the learner's attempt (answers and the submit take the same row
    first, so they never interleave), or raise AttemptNotFound."""
    found = _lock_own(attempt_id, user.pk) if user is not None else _lock_any(attempt_id)
    if not found:
        raise AttemptNotFound("No such attempt.")
    return found[0]


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


def _response_ids(values):
    ids = set()
    for value in values:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise QuizError(f"{value!r} is not a question of this attempt.") from None
    return ids


def _named(attempt_id, user_id, *ids):
    """The responses an answer names, as it needs them, read with a lock on
    their attempt; only the owner's when `user_id` is given."""
    responses = Response.objects.select_for_update(of=("attempt",)).select_related(
        "attempt__quiz"
    ).only(
        "attempt_id", "lesson_id", "position", "snapshot", "selected", "answered_at",
        "checked", "score", "attempt__state", "attempt__user_id", "attempt__number",
        "attempt__quiz__feedback", "attempt__quiz__slug", "attempt__quiz__course_id",
    ).filter(attempt_id=attempt_id, pk__in=ids)
    if user_id is not None:
        responses = responses.filter(attempt__user_id=user_id)
    return responses.order_by("position")


PREPARED_ANSWERS = 100  # answers naming more questions are built each time


@functools.cache
def _named_prepared(count):
    """`_named` for a learner, prepared once per number of responses named
    (mostly one: an autosave)."""
    return PreparedQuery(_named, arity=2 + count)


@transaction.atomic
def save_answers(*, attempt_id, answers, user=None, check=(), now=None):
    """Save answers ({response id: [option tokens]}); an empty list clears one.

    `check` names responses to lock and score now (immediate-feedback quizzes).
    `user`, when given, must own the attempt. Nothing is saved if any answer
    is invalid. Returns (attempt, the responses named, as saved).

    Two statements: the responses named, read with a lock on their attempt
    (the submit takes the same lock first), and one UPDATE. Every named answer
    is written (the last request to take the lock wins, as the learner
    expects), and never over a question checked meanwhile.
    """
    now = now or timezone.now()
    named = _response_ids(answers)
    to_check = _response_ids(check)
    named_ids = sorted(named | to_check)
    if not named_ids:
        responses = []
    elif user is not None and len(named_ids) <= PREPARED_ANSWERS:
        responses = _named_prepared(len(named_ids))(attempt_id, user.pk, *named_ids)
    else:
        responses = list(_named(attempt_id, user and user.pk, *named_ids))
    attempt = responses[0].attempt if responses else _lock(attempt_id, user)
    if attempt.is_submitted:
        raise AttemptClosed(CLOSED_MESSAGE)
    if check and not attempt.quiz.checkable:
        raise QuizError("This quiz gives feedback after submission only.")
    if to_check - {r.pk for r in responses}:
        raise QuizError("That question cannot be checked: it is not a question of this attempt.")
    changes = _validated(responses, answers)
    writes = []
    for response in responses:
        if response.checked:
            continue  # unchanged: `_validated` refused any change to it
        if response in changes:
            response.selected = changes[response]
            response.answered_at = now
        if response.pk in to_check:
            if not response.selected:
                raise QuizError(f"Question {response.position}: choose an answer to check.")
            response.checked = True
            response.score = scoring.score_response(response.snapshot, response.selected)
        writes.append(response)
    written = _update_rows(
        Response,
        ["selected", "answered_at", "checked", "score"],
        [(r.pk, r.selected, r.answered_at, r.checked, r.score) for r in writes],
        unless="checked",
    )
    if written != len(writes):
        raise QuizError("A question was checked meanwhile; its answer can no longer change.")
    return attempt, responses


@transaction.atomic
def submit_attempt(*, attempt_id, user=None, answers=None, now=None):
    """Grade an attempt exactly once, with the learner's last `answers` if given
    (as for `save_answers`). Returns (attempt, graded_now); the attempt carries
    its responses as `attempt.response_list`.

    Four statements: lock the attempt, read its responses, one UPDATE of the
    responses (answers and scores), one of the attempt (state, score, points,
    topics). Submitting again gives back the graded attempt.
    """
    now = now or timezone.now()
    attempt = _lock(attempt_id, user)
    responses = attempt.response_list = responses_of(attempt)
    if attempt.is_submitted:
        if answers:
            raise AttemptClosed(CLOSED_MESSAGE)
        return attempt, False
    changes = _validated(responses, answers or {})
    for response in responses:
        if response in changes and changes[response] != response.selected:
            response.selected = changes[response]
            response.answered_at = now
        response.score = scoring.score_response(response.snapshot, response.selected)
    _update_rows(
        Response,
        ["selected", "answered_at", "score"],
        [(r.pk, r.selected, r.answered_at, r.score) for r in responses],
    )
    quiz = attempt.quiz
    points = sum((r.score for r in responses), scoring.ZERO)
    attempt.score = scoring.attempt_percent(r.score for r in responses)
    attempt.passed = scoring.passed(attempt.score, quiz.pass_mark)
    attempt.points = points
    attempt.topics = scoring.topic_points(
        (r.snapshot.get("tags"), r.score, r.lesson_id) for r in responses
    )
    attempt.state, attempt.submitted_at = Attempt.State.SUBMITTED, now
    _update_rows(  # (the row is locked, and was read in progress under the lock)
        Attempt, ["state", "submitted_at", "score", "passed", "points", "topics"],
        [(attempt.pk, attempt.state, now, attempt.score, attempt.passed, points,
          attempt.topics)],
    )
    attempt_submitted.send(sender=Attempt, attempt=attempt)
    return attempt, True
