"""What the engine keeps in the cache, and the writes that replace it.

Owner: this module. Two kinds of entry carry the bank generation they were
built in (see `of_generation`): the question pools (every question an attempt
of a quiz may draw, with options and key, as plain data) and the quiz pages'
shared part (the quiz, its question count and its rendered header; and the
published quiz by id, which a start over the API looks up). Any save
or delete of a quiz, question, option or blueprint entry starts a new
generation of both, at once and again when its transaction commits (so a
reader racing the transaction cannot keep the old bank under the new name);
a change to the courses or lessons a quiz page names starts a new one of the
pages (`pages_changed`, called by whoever owns them); so does every deploy
(post_migrate), for both. A data migration that changes the bank runs no
signal: it calls `bank_changed()` itself.

A third kind, an open attempt's questions as its page shows them with nothing
chosen, is built from the snapshots the attempt took when it started, which
nothing changes: only a deploy starts a new generation of those
(`ATTEMPTS_KEY`), and a submission drops its attempt's; the learner's answers
are ticked per request, never cached.
"""

import logging
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, IntegerField, Value
from django.template.loader import render_to_string

GENERATION_KEY = "quizzes:bank"
PAGES_KEY = "quizzes:pages"  # the bank, and the courses and lessons quiz pages name
ATTEMPTS_KEY = "quizzes:attempts"  # open attempts' questions: renewed by deploys only
ATTEMPT_SECONDS = 12 * 3600  # a bound on memory: an attempt's questions never change
POOL_SECONDS = 24 * 3600  # a bound on memory, never the way an entry goes stale

logger = logging.getLogger(__name__)


def generation(generation_key=GENERATION_KEY, seconds=None):
    """The current generation under `generation_key` (the bank's by default): a
    random name, replaced on every change; kept `seconds` (None: for good), for
    a generation per object, whose losing only costs a rebuild."""
    current = cache.get(generation_key)
    if current is None:
        cache.add(generation_key, secrets.token_hex(6), seconds)
        current = cache.get(generation_key)
    return current


def of_generation(generation_key, key, build, seconds, *, generation_seconds=None,
                  found=None):
    """The value cached under `key` if it was built in the generation now under
    `generation_key`; otherwise `build()` it and cache it (None is not cached).
    One round trip when it is there: the generation and the entry come in one
    MGET, and the entry carries the generation it was built in. `found`: what
    a caller's own MGET of both keys (with others) returned, instead of this one.

    A reader that built from older data stamps it with the older generation, so
    the next reader builds again: never a stale entry under the current name.
    An entry of another shape (left by other code under the key) is built again.
    """
    if found is None:
        found = cache.get_many([generation_key, key])
    current, entry = found.get(generation_key), found.get(key)
    if current is not None and isinstance(entry, tuple) and len(entry) == 2 and (
        entry[0] == current
    ):
        return entry[1]
    current = current or generation(generation_key, generation_seconds)
    value = build()
    if value is not None:
        cache.set(key, (current, value), seconds)
    return value


def now_and_on_commit(action):
    """Replace or drop a cache entry at once, and again when the transaction
    that changed its data commits: a reader racing that transaction could
    otherwise cache the old data again, for good."""
    action()
    transaction.on_commit(action)


def renew_generation(generation_key, seconds=None):
    """Start a new generation under `generation_key`, now and on commit (kept
    `seconds`, as in `generation`)."""
    now_and_on_commit(lambda: cache.set(generation_key, secrets.token_hex(6), seconds))


def bank_changed(**kwargs):
    """Receiver for saves and deletes of the bank's models (a quiz page shows
    them too)."""
    renew_generation(GENERATION_KEY)
    renew_generation(PAGES_KEY)


def pages_changed():
    """For the owner of the courses and lessons a quiz page names: they changed.
    (Question pools do not name them, and are kept.)"""
    renew_generation(PAGES_KEY)


def renew_on_deploy(*generation_keys):
    """New generations under `generation_keys` when a deploy migrates: entries
    built by the code before it (its templates, the shape of what it pickled)
    are not served. A cache that cannot be reached is left alone, with a
    warning: the migration goes on."""
    try:
        for key in generation_keys:
            renew_generation(key)
    except Exception:  # noqa: BLE001 (any cache server error: the deploy goes on)
        logger.warning("The cache could not be reached: %s not renewed.", generation_keys)


def code_changed(**kwargs):
    """Receiver for post_migrate, which every deploy runs."""
    renew_on_deploy(GENERATION_KEY, PAGES_KEY, ATTEMPTS_KEY)


def question_pool(quiz):
    """Every question an attempt may draw, each with `draw`: how many questions
    of its quiz one attempt takes (the blueprint's count; None without one).

    One query for the blueprint's sources, or, for a quiz without a blueprint,
    a second one for its own questions; the options come prefetched.
    """
    from .models import Question

    questions = Question.objects.prefetch_related("choices").order_by("quiz_id", "position", "pk")
    pool = list(
        questions.filter(quiz__drawn_into__quiz=quiz).annotate(draw=F("quiz__drawn_into__count"))
    )
    own = questions.filter(quiz=quiz).annotate(draw=Value(None, IntegerField()))
    return pool or list(own)


def cached_pool(quiz):
    """`question_pool` as plain data, from the cache: [{"id", "quiz_id",
    "position", "lesson_id", "draw", "snapshot"}], the snapshot without tokens."""
    return of_generation(GENERATION_KEY, f"quizzes:pool:{quiz.pk}", lambda: _pool(quiz),
                         POOL_SECONDS)


def _pool(quiz):
    from .services import snapshot_of

    pool = []
    for question in question_pool(quiz):
        snapshot = snapshot_of(question, question.choices.all())
        for choice in snapshot["choices"]:
            del choice["token"]
        pool.append({
            "id": question.pk, "quiz_id": question.quiz_id, "position": question.position,
            "lesson_id": question.lesson_id, "draw": question.draw, "snapshot": snapshot,
        })
    return pool


def published_quiz(pk):
    """A published quiz with its course, by id (`pk`: digits), built once per
    generation of the quiz pages (which its and its course's changes renew);
    None when there is no such published quiz."""
    from . import selectors

    return of_generation(PAGES_KEY, f"quizzes:quiz:{int(pk)}",
                         lambda: selectors.find_published_quiz(pk), POOL_SECONDS)


@dataclass
class QuizPage:
    """The part of a published quiz's page that is the same for every learner."""

    quiz: object  # with its course and the lesson it follows (no long texts)
    header: str  # the rendered breadcrumb, title, description and question count
    continue_url: str


def quiz_page(course_slug, slug):
    """The shared part of a published quiz's page, built once per bank
    generation; None when there is no such published quiz."""
    return of_generation(PAGES_KEY, f"quizzes:page:{course_slug}:{slug}",
                         lambda: _quiz_page(course_slug, slug), POOL_SECONDS)


def _quiz_page(course_slug, slug):
    from . import selectors

    quiz = selectors.find_quiz(course_slug, slug)
    if quiz is None:
        return None
    header = render_to_string(
        "quizzes/_quiz_header.html",
        {"quiz": quiz, "course": quiz.course,
         "question_count": selectors.questions_per_attempt(quiz)},
    )
    return QuizPage(quiz=quiz, header=header,
                    continue_url=f"{quiz.course.get_continue_url()}?after=quiz-{quiz.pk}")


@dataclass(frozen=True)
class OpenAttempt:
    """An open attempt's questions as its page shows them with nothing chosen,
    and each option's input: what the learner's answers tick per request."""

    html: str
    inputs: dict  # {response id: {option id: its input's value attribute}}


def _attempt_key(attempt, checkable):
    # ":1": the shape of OpenAttempt and of its markup; a new one takes a new
    # number, so servers of two versions (a rolling deploy) never read each
    # other's. The start time keeps an id a test database reuses from finding
    # another attempt's entry.
    started = attempt.started_at
    return (f"quizzes:attempt:1:{attempt.pk}:{int(started.timestamp())}."
            f"{started.microsecond:06d}:{int(checkable)}")


def open_attempt(attempt, checkable, rows=None):
    """The markup of an open attempt's questions (with a "Check" button each
    when `checkable`), built once per attempt and deploy: its questions are
    snapshots taken at its start, which nothing changes. `rows`: the
    attempt's (response id, position, snapshot), in order, when at hand (a
    start); read otherwise."""
    return of_generation(ATTEMPTS_KEY, _attempt_key(attempt, checkable),
                         lambda: _open_attempt(attempt, checkable, rows), ATTEMPT_SECONDS)


def ticked_questions(attempt, states):
    """An open attempt's questions as its page shows them, with the options in
    `states` ((response id, chosen option ids, checked) per response) ticked."""
    from .templatetags.attempts import with_chosen

    return with_chosen(open_attempt(attempt, attempt.quiz.checkable), states)


def remember_started(attempt):
    """Cache the page a learner is sent to after starting `attempt` (a new one,
    with its `response_list`), from the questions it drew. Best effort: the
    first open builds it otherwise."""
    rows = [(r.pk, r.position, r.snapshot) for r in attempt.response_list]
    try:
        open_attempt(attempt, attempt.quiz.checkable, rows)
    except Exception:  # noqa: BLE001 (a cache server error: the start stands)
        logger.warning("Attempt %s: its questions could not be cached.", attempt.pk)


def forget_submitted(sender, attempt, **kwargs):
    """Receiver for `attempt_submitted`: the entries of its questions go when
    the submission commits (a submitted attempt's page is its review)."""
    keys = [_attempt_key(attempt, checkable) for checkable in (False, True)]
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def _open_attempt(attempt, checkable, rows):
    from . import selectors
    from .templatetags.attempts import open_question, option_value

    rows = selectors.snapshots_of(attempt) if rows is None else rows
    return OpenAttempt(
        html="\n".join(
            open_question(selectors.shown_question(pk, position, snapshot), len(rows), checkable)
            for pk, position, snapshot in rows
        ),
        inputs={
            pk: {c["id"]: option_value(c["token"]) for c in snapshot["choices"]}
            for pk, _, snapshot in rows
        },
    )
