"""What the engine keeps in the cache, and the writes that replace it.

Owner: this module. The question pools (every question an attempt of a quiz
may draw, with options and key, as plain data) are keyed by a bank generation;
any save or delete of a quiz, question, option or blueprint entry starts a new
generation, at once and again when its transaction commits (so a reader
racing the transaction cannot keep the old bank under the new name).
"""

import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, IntegerField, Value

GENERATION_KEY = "quizzes:bank"
POOL_SECONDS = 24 * 3600  # a bound on memory, never the way an entry goes stale


def generation():
    """The bank's current generation: a random name, replaced on every change."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        cache.add(GENERATION_KEY, secrets.token_hex(6), None)
        current = cache.get(GENERATION_KEY)
    return current


def bank_changed(**kwargs):
    """Receiver for saves and deletes of the bank's models."""
    def renew():
        cache.set(GENERATION_KEY, secrets.token_hex(6), None)

    renew()
    transaction.on_commit(renew)


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
    from .services import snapshot_of

    key = f"quizzes:pool:{quiz.pk}:{generation()}"
    pool = cache.get(key)
    if pool is None:
        pool = []
        for question in question_pool(quiz):
            snapshot = snapshot_of(question, question.choices.all())
            for choice in snapshot["choices"]:
                del choice["token"]
            pool.append({
                "id": question.pk, "quiz_id": question.quiz_id, "position": question.position,
                "lesson_id": question.lesson_id, "draw": question.draw, "snapshot": snapshot,
            })
        cache.set(key, pool, POOL_SECONDS)
    return pool
