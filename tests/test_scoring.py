"""Scoring by hand-worked examples."""

from decimal import Decimal

import pytest

from quizzes.scoring import attempt_percent, passed, score_response


def snap(kind, scoring, *choices):
    return {
        "kind": kind,
        "scoring": scoring,
        "choices": [
            {"id": i, "correct": correct, "weight": str(weight)}
            for i, (correct, weight) in enumerate(choices, start=1)
        ],
    }


SINGLE = snap("single", "all_or_nothing", (True, 100), (False, 0), (False, 50), (False, 0))
# Five options, three right (ids 1-3), two wrong (ids 4-5).
SATA = [(True, "33.33333"), (True, "33.33333"), (True, "33.33333"),
        (False, "-33.33333"), (False, "-33.33333")]


@pytest.mark.parametrize(
    ("selected", "expected"),
    [([1], "1"), ([2], "0"), ([3], "0.5"), ([], "0"), ([1, 2], "0")],
)
def test_single_answer(selected, expected):
    # The key earns 1; a ~%50% distractor earns half; nothing or two picks earn 0.
    assert score_response(SINGLE, selected) == Decimal(expected)


@pytest.mark.parametrize(
    ("selected", "expected"),
    [([1, 2, 3], "1"), ([1, 2], "0"), ([1, 2, 3, 4], "0"), ([], "0")],
)
def test_all_or_nothing(selected, expected):
    assert score_response(snap("multiple", "all_or_nothing", *SATA), selected) == Decimal(expected)


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ([1, 2, 3], "1"),  # 3 right, 0 wrong: 3/3
        ([1, 2], "0.6667"),  # 2 right: 2/3
        ([1, 2, 3, 4], "0.6667"),  # 3 - 1 = 2: 2/3
        ([1, 4], "0"),  # 1 - 1 = 0
        ([1, 4, 5], "0"),  # 1 - 2 = -1: floor 0
        ([4, 5], "0"),  # 0 - 2: floor 0
        ([1, 2, 3, 4, 5], "0.3333"),  # selecting everything: 3 - 2 = 1: 1/3
    ],
)
def test_plus_minus(selected, expected):
    assert score_response(snap("multiple", "plus_minus", *SATA), selected) == Decimal(expected)


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ([1, 2], "1"),  # 50 + 50
        ([1], "0.5"),
        ([1, 2, 3], "0"),  # 50 + 50 - 100 = 0
        ([1, 3], "0"),  # 50 - 100: floor 0
        ([1, 2, 4], "1"),  # 50 + 50 + 20 = 120: at most 100%
    ],
)
def test_weights(selected, expected):
    weighted = snap("multiple", "weights", (True, 50), (True, 50), (False, -100), (False, 20))
    assert score_response(weighted, selected) == Decimal(expected)


def test_attempt_percent_and_pass():
    assert attempt_percent([Decimal(1), Decimal("0.5"), Decimal(0), Decimal("0.6667")]) == (
        Decimal("54.17")
    )
    assert attempt_percent([]) == Decimal("0.00")
    assert passed(Decimal("80.00"), 80) and not passed(Decimal("79.99"), 80)
