"""Scoring rules, as plain functions over a frozen question snapshot.

A snapshot's choices carry `id`, `correct` and `weight` (percent, as text).
Every score is a fraction of the question's mark between 0 and 1.
"""

from decimal import ROUND_HALF_UP, Decimal

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
FOUR_PLACES, TWO_PLACES = Decimal("0.0001"), Decimal("0.01")


def _clamp(value):
    return min(max(value, ZERO), ONE)


def score_response(snapshot, selected) -> Decimal:
    """The fraction of the mark earned by choosing `selected` (choice ids)."""
    chosen = set(selected)
    choices = snapshot["choices"]
    correct = {c["id"] for c in choices if c["correct"]}
    weights = {c["id"]: Decimal(str(c["weight"])) for c in choices}

    if snapshot["kind"] == "single":
        if len(chosen) != 1:
            return ZERO
        (pick,) = chosen
        score = ONE if pick in correct else _clamp(weights.get(pick, ZERO) / HUNDRED)
    elif snapshot["scoring"] == "all_or_nothing":
        score = ONE if chosen == correct else ZERO
    elif snapshot["scoring"] == "plus_minus":
        # Licensure-exam rule: +1 per correct pick, -1 per wrong pick, floor 0,
        # over the number of correct options.
        raw = len(chosen & correct) - len(chosen - correct)
        score = _clamp(Decimal(raw) / Decimal(len(correct)))
    else:
        # Moodle's rule for GIFT weights: the chosen weights add up, floor 0, at most 100%.
        score = _clamp(sum((weights.get(i, ZERO) for i in chosen), ZERO) / HUNDRED)
    return score.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def attempt_percent(scores) -> Decimal:
    """Each question weighs the same: the mean fraction, as a percent."""
    scores = list(scores)
    if not scores:
        return Decimal("0.00")
    mean = sum(scores, ZERO) / Decimal(len(scores))
    return (mean * HUNDRED).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def passed(percent, pass_mark) -> bool:
    return percent >= Decimal(pass_mark)


def topic_points(items) -> dict:
    """Per topic tag of an attempt: [points earned (text), questions, [lesson ids]].

    `items` are (tags, score, lesson id) per question; a question without tags
    counts under "general". Stored on the attempt at submission, so mastery is
    read, not recomputed from every response.
    """
    topics = {}
    for tags, score, lesson_id in items:
        for tag in tags or ["general"]:
            earned, count, lessons = topics.get(tag, (ZERO, 0, []))
            if lesson_id is not None and lesson_id not in lessons:
                lessons = [*lessons, lesson_id]
            topics[tag] = (earned + (score or ZERO), count + 1, lessons)
    return {tag: [str(earned), count, lessons] for tag, (earned, count, lessons) in topics.items()}
