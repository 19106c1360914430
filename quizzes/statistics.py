"""Item analysis with the formulas of Moodle's quiz statistics report.

Only first attempts count (attempt number 1, submitted), as in Moodle's default.
For each item, with p its score fraction and r the score on the rest of the
test (the attempt's total minus p), over the n first attempts that include it:

- facility index F = 100 · mean(p)
- standard deviation SD = 100 · sqrt(Σ(p − p̄)² / (n − 1))
- discrimination index D = 100 · cov(p, r) / sqrt(var(p) · var(r))
- discriminative efficiency E = 100 · cov(p, r) / cov_max(p, r), where cov_max
  pairs p and r each sorted ascending (the largest covariance possible with
  these values)

The rest-of-test score is read, not summed: r = attempt.points − p, where
`points` is the attempt's raw total stored at submission. So the database
returns, from the responses joined to their attempts, how many first-attempt
responses share each (item, p, points): a small joint histogram from which
every sum (Σp, Σp², Σr, Σr², Σpr) and both marginal histograms follow; and,
in a second query, how many share each (item, options picked). No response is
loaded one by one, and no attempt's total is summed again.
"""

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F

from .models import Attempt, Question, Response

TOO_EASY, TOO_HARD = 90.0, 30.0
# Below this many first attempts the figures are shown but no item is judged.
MIN_TO_JUDGE = 30


@dataclass
class Sums:
    n: int
    p: float
    pp: float
    r: float
    rr: float
    pr: float


def _var(total, squares, n):
    return (squares - total * total / n) / (n - 1)


def _max_cross(p_hist, r_hist):
    """Σ p_i·r_i with both lists sorted ascending, from {value: count} histograms."""
    ps = sorted(p_hist.items())
    rs = sorted(r_hist.items())
    total, i, j = 0.0, 0, 0
    p_left = ps[0][1] if ps else 0
    r_left = rs[0][1] if rs else 0
    while i < len(ps) and j < len(rs):
        take = min(p_left, r_left)
        total += ps[i][0] * rs[j][0] * take
        p_left -= take
        r_left -= take
        if p_left == 0:
            i += 1
            p_left = ps[i][1] if i < len(ps) else 0
        if r_left == 0:
            j += 1
            r_left = rs[j][1] if j < len(rs) else 0
    return total


def item_figures(sums: Sums, p_hist, r_hist):
    """(facility, sd, discrimination, efficiency) in percent; None where undefined."""
    if sums.n == 0:
        return None, None, None, None
    facility = 100 * sums.p / sums.n
    if sums.n < 2:
        return facility, None, None, None
    var_p = _var(sums.p, sums.pp, sums.n)
    var_r = _var(sums.r, sums.rr, sums.n)
    sd = 100 * math.sqrt(max(var_p, 0.0))
    cov = (sums.pr - sums.p * sums.r / sums.n) / (sums.n - 1)
    discrimination = None
    if var_p > 1e-12 and var_r > 1e-12:
        discrimination = 100 * cov / math.sqrt(var_p * var_r)
    cov_max = (_max_cross(p_hist, r_hist) - sums.p * sums.r / sums.n) / (sums.n - 1)
    efficiency = 100 * cov / cov_max if cov_max > 1e-12 else None
    return facility, sd, discrimination, efficiency


@dataclass
class ItemStats:
    question_id: int
    position: int
    title: str
    stem: str
    n: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None
    options: list = field(default_factory=list)  # [(text, is_key, count, percent)]

    @property
    def judged(self):
        return self.n >= MIN_TO_JUDGE

    @property
    def flags(self):
        flags = []
        if not self.judged:
            return flags
        if self.facility is not None and self.facility > TOO_EASY:
            flags.append("too easy")
        if self.facility is not None and self.facility < TOO_HARD:
            flags.append("too hard")
        if self.discrimination is not None and self.discrimination < 0:
            flags.append("negative discrimination")
        return flags


def first_attempts(quiz, user_ids=None):
    attempts = Attempt.objects.filter(quiz=quiz, number=1, state=Attempt.State.SUBMITTED)
    if user_ids is not None:
        attempts = attempts.filter(user_id__in=user_ids)
    return attempts


# Rows are grouped by the attempt's stored points, not by points − p: the
# database only counts, and the rest score r = points − p is worked out here.
JOINT_SQL = """
    SELECT r.question_id, COALESCE(r.score, 0), a.total, COUNT(*)
    FROM quizzes_response r
    JOIN ({attempts}) a ON a.attempt = r.attempt_id
    WHERE r.question_id IS NOT NULL
    GROUP BY r.question_id, COALESCE(r.score, 0), a.total
"""
# The options picked, grouped as text: hashing text is cheaper than hashing JSON.
PICKS_SQL = """
    SELECT r.question_id, CAST(r.selected AS TEXT), COUNT(*), MIN(r.id)
    FROM quizzes_response r
    JOIN ({attempts}) a ON a.attempt = r.attempt_id
    WHERE r.question_id IS NOT NULL
    GROUP BY r.question_id, CAST(r.selected AS TEXT)
"""


def _histograms(attempts):
    """Two scans: {question: {(p, rest): count}}, {question: {choice id: picks}}
    and {question: the id of one of its responses} over the attempts."""
    attempts = attempts.order_by().values(attempt=F("pk"), total=F("points"))
    sql, params = attempts.query.sql_with_params()
    joint = defaultdict(lambda: defaultdict(int))
    picks = defaultdict(lambda: defaultdict(int))
    first = {}
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling these two queries (JIT) can take longer than running
            # them: off for this transaction only.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(JOINT_SQL.format(attempts=sql), params)
        for question_id, p, total, count in cursor.fetchall():
            p, total = float(p), float(total)
            joint[question_id][(round(p, 6), round(total - p, 6))] += count
        cursor.execute(PICKS_SQL.format(attempts=sql), params)
        for question_id, selected, count, response_id in cursor.fetchall():
            for choice_id in json.loads(selected) or []:
                picks[question_id][choice_id] += count
            first[question_id] = min(first.get(question_id, response_id), response_id)
    return joint, picks, first


def _sums(cells):
    sums = Sums(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    p_hist, r_hist = defaultdict(int), defaultdict(int)
    for (p, r), c in cells.items():
        sums.n += c
        sums.p += p * c
        sums.pp += p * p * c
        sums.r += r * c
        sums.rr += r * r * c
        sums.pr += p * r * c
        p_hist[p] += c
        r_hist[r] += c
    return sums, p_hist, r_hist


def item_statistics(quiz, *, user_ids=None):
    """Per-item statistics over the first attempts (of `user_ids`, if given)."""
    attempts = first_attempts(quiz, user_ids)
    joint, picks, first = _histograms(attempts)
    sums, p_hist, r_hist = {}, {}, {}
    for question_id, cells in joint.items():
        sums[question_id], p_hist[question_id], r_hist[question_id] = _sums(cells)
    questions = Question.objects.in_bulk(sums.keys())
    shown = {r.question_id: r.snapshot for r in Response.objects.filter(pk__in=first.values())}
    stats = []
    for question_id, item in sums.items():
        question = questions[question_id]
        facility, sd, discrimination, efficiency = item_figures(
            item, p_hist[question_id], r_hist[question_id]
        )
        choices = sorted(shown[question_id]["choices"], key=lambda c: c["id"])
        stats.append(
            ItemStats(
                question_id=question_id,
                position=question.position,
                title=question.title or question.stem[:60],
                stem=question.stem,
                n=item.n,
                facility=facility,
                sd=sd,
                discrimination=discrimination,
                efficiency=efficiency,
                options=[
                    (
                        c["text"],
                        c["correct"],
                        picks[question_id][c["id"]],
                        100 * picks[question_id][c["id"]] / item.n,
                    )
                    for c in choices
                ],
            )
        )
    return sorted(stats, key=lambda s: (s.position, s.question_id)), attempts.count()
