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

A cohort's analysis reads the same counts from its tallies (ItemTally), which
are brought up to date first, in one transaction under a lock of their own:
first attempts not counted yet are added, those of learners who left the
cohort are taken out, and if a counted attempt was deleted the cohort's
tallies of the quiz are rebuilt from the responses. So the figures are always
those of the responses as they are, but a report reads only what was submitted
since the last one, not a million responses each time.
"""

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Value

from .models import Attempt, ItemTally, Question, Quiz, Response, TalliedAttempt

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
    JOIN ({attempts}) a ON a.attempt_id = r.attempt_id
    WHERE r.question_id IS NOT NULL
    GROUP BY r.question_id, COALESCE(r.score, 0), a.total
"""
# The options picked, grouped as text: hashing text is cheaper than hashing JSON.
PICKS_SQL = """
    SELECT r.question_id, CAST(r.selected AS TEXT), COUNT(*), MIN(r.id)
    FROM quizzes_response r
    JOIN ({attempts}) a ON a.attempt_id = r.attempt_id
    WHERE r.question_id IS NOT NULL
    GROUP BY r.question_id, CAST(r.selected AS TEXT)
"""


def _histograms(attempts):
    """Two scans over the attempts (a values queryset of `attempt_id` and
    `total`, its points): {question: {(p, rest): count}}, {question: {choice
    id: picks}} and {question: [(a response's id, the choice ids it picked)]},
    one response for each set of options picked."""
    sql, params = attempts.query.sql_with_params()
    joint = defaultdict(lambda: defaultdict(int))
    picks = defaultdict(lambda: defaultdict(int))
    samples = defaultdict(list)
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
            chosen = json.loads(selected) or []
            for choice_id in chosen:
                picks[question_id][choice_id] += count
            samples[question_id].append((response_id, chosen))
    return joint, picks, samples


def _items(tallies, questions):
    """ItemStats of tallies (saved or not), with {question id: Question}."""
    stats = []
    for tally in tallies:
        item, p_hist, r_hist = _tally_figures(tally)
        if item.n == 0:
            continue
        question = questions[tally.question_id]
        facility, sd, discrimination, efficiency = item_figures(item, p_hist, r_hist)
        stats.append(
            ItemStats(
                question_id=tally.question_id,
                position=question.position,
                title=question.title or question.stem[:60],
                stem=question.stem,
                n=item.n,
                facility=facility,
                sd=sd,
                discrimination=discrimination,
                efficiency=efficiency,
                options=_options(tally.choices, dict(tally.picks), item.n),
            )
        )
    return sorted(stats, key=lambda s: (s.position, s.question_id))


def _options(choices, counts, n):
    """[(text, is key, picks, percent)]. A question edited after some attempts
    has options under new ids (an import recreates them): an option with the
    same text and role is one row, its picks under every id added up."""
    rows = {}
    for choice in sorted(choices, key=lambda c: c["id"]):
        key = (choice["text"], choice["correct"])
        rows[key] = rows.get(key, 0) + counts.get(choice["id"], 0)
    return [(text, correct, count, 100 * count / n) for (text, correct), count in rows.items()]


def _add_shown_choices(tallies, histograms, *, only_unknown):
    """Add to each tally's `choices` every option its responses in `histograms`
    were shown (one snapshot read per set of options picked); `only_unknown`:
    only for a new tally, or a pick of an option it does not know yet (the
    item was edited)."""
    known = {q: {c["id"] for c in t.choices} for q, t in tallies.items()}
    wanted = [
        response_id
        for question_id, rows in histograms[2].items()
        for response_id, chosen in rows
        if not only_unknown or not known[question_id] or not known[question_id].issuperset(chosen)
    ]
    shown = {q: {c["id"]: c for c in t.choices} for q, t in tallies.items()}
    rows = Response.objects.filter(pk__in=wanted).order_by("pk")
    for question_id, snapshot in rows.values_list("question_id", "snapshot"):
        for c in snapshot["choices"]:
            shown[question_id].setdefault(
                c["id"], {"id": c["id"], "text": c["text"], "correct": c["correct"]}
            )
    for question_id, tally in tallies.items():
        tally.choices = sorted(shown[question_id].values(), key=lambda c: c["id"])


def item_statistics(quiz, *, user_ids=None, cohort=None):
    """Per-item statistics over the first attempts: of a cohort (`cohort`,
    whose learners are `user_ids`) from its tallies, brought up to date first;
    of `user_ids`, or of everyone, straight from the responses.
    Returns (items, number of first attempts)."""
    if cohort is not None:
        if user_ids is None:
            raise ValueError("A cohort's analysis needs its learners (user_ids).")
        update_tallies(quiz=quiz, cohort_id=cohort.pk, user_ids=user_ids)
        tallies = list(
            ItemTally.objects.filter(cohort_id=cohort.pk, quiz=quiz).select_related("question")
        )
        attempts = TalliedAttempt.objects.filter(cohort_id=cohort.pk, quiz=quiz).count()
        return _items(tallies, {t.question_id: t.question for t in tallies}), attempts
    # Without a cohort: the same tallies, made in memory from every response.
    attempts = first_attempts(quiz, user_ids)
    histograms = _histograms(attempts.order_by().values(attempt_id=F("pk"), total=F("points")))
    tallies = {}
    _fold(tallies, histograms, 1, quiz=quiz, cohort_id=None)
    _add_shown_choices(tallies, histograms, only_unknown=False)
    return _items(tallies.values(), Question.objects.in_bulk(tallies)), attempts.count()


# A tally keeps scores and points in units of 1/10,000 (both have four
# decimals), so its sums are whole numbers: adding and taking out attempts
# never rounds.
UNIT = 10_000


def _tally_figures(tally):
    """(Sums, p histogram, r histogram) of a tally. Its `sums` are n, ΣP, ΣP²,
    ΣT, ΣT², ΣPT over the responses, with P the score and T the attempt's
    points in units; the rest score is R = T − P."""
    n, p, pp, t, tt, pt = tally.sums
    sums = Sums(
        n=n,
        p=p / UNIT,
        pp=pp / UNIT**2,
        r=(t - p) / UNIT,
        rr=(tt - 2 * pt + pp) / UNIT**2,
        pr=(pt - pp) / UNIT**2,
    )
    p_hist = {units / UNIT: count for units, count in tally.scores}
    r_hist = {units / UNIT: count for units, count in tally.rests}
    return sums, p_hist, r_hist


def _fold(tallies, histograms, sign, *, quiz, cohort_id):
    """Add (sign 1) or take out (sign -1) the counts of `histograms` to
    `tallies` ({question id: ItemTally}), making those that are missing."""
    joint, picks, _ = histograms
    for question_id, cells in joint.items():
        tally = tallies.get(question_id)
        if tally is None:
            tally = tallies[question_id] = ItemTally(
                cohort_id=cohort_id, quiz=quiz, question_id=question_id, sums=[0] * 6
            )
        sums = tally.sums
        scores, rests = defaultdict(int, tally.scores), defaultdict(int, tally.rests)
        for (p, r), count in cells.items():
            count *= sign
            p, r = round(p * UNIT), round(r * UNIT)
            t = p + r
            terms = (1, p, p * p, t, t * t, p * t)
            sums = [total + count * term for total, term in zip(sums, terms, strict=True)]
            scores[p] += count
            rests[r] += count
        chosen = defaultdict(int, tally.picks)
        for choice_id, count in picks[question_id].items():
            chosen[choice_id] += sign * count
        # Stored as [[key, count], ...], sorted, without the zeros: plain
        # numbers, which the database driver passes on without escaping.
        tally.sums = sums
        tally.scores, tally.rests, tally.picks = (
            sorted([key, count] for key, count in counts.items() if count)
            for counts in (scores, rests, chosen)
        )


def _count_new_attempts(quiz, cohort_id, user_ids, batch):
    """Add the learners' first attempts not counted yet under `batch`: how many."""
    counted_already = TalliedAttempt.objects.filter(cohort_id=cohort_id, attempt_id=OuterRef("pk"))
    new = (
        first_attempts(quiz, user_ids)
        .filter(~Exists(counted_already))
        .order_by()
        .values_list(Value(cohort_id), "quiz_id", "pk", "user_id", "points", Value(batch))
    )
    sql, params = new.query.sql_with_params()
    table = TalliedAttempt._meta.db_table
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # The statement reads the table it fills. Planned from an empty
            # table's statistics (a new installation's, once autovacuum has
            # analysed it), "counted already?" becomes a nested loop that
            # scans the table again for every attempt, this statement's own
            # new rows included: quadratic (a first report of 100,000
            # attempts ran past any request's time limit, and every retry
            # too). A hash or merge join reads the table once, before the
            # first row goes in. (SQLite runs the SELECT to its end first.)
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            f"INSERT INTO {table} (cohort_id, quiz_id, attempt_id, user_id, points, batch) {sql}",
            params,
        )
        added = cursor.rowcount
        if postgresql:
            cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        if added > 10_000 and postgresql:
            # The planner's figures for the table, as autovacuum would renew
            # them after such a load: the scans below need them.
            cursor.execute(f"ANALYZE {table}")
    return added


def _lock_key(name):
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                          signed=True)


def _lock_for_update(cohort_id, quiz_id):
    """An update of one cohort's tallies of a quiz: a shared lock on the cohort's
    tallies (deletions take it exclusively) and an exclusive one on this quiz's
    (concurrent updates of them queue), until the transaction ends. PostgreSQL:
    advisory locks on keys of their own, so the cohort's rows stay free for
    everything else; SQLite's transactions begin IMMEDIATE, and so already
    queue."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s), pg_advisory_xact_lock(%s)",
            [_lock_key(f"quizzes.item_tally:{cohort_id}"),
             _lock_key(f"quizzes.item_tally:{cohort_id}:{quiz_id}")],
        )


def lock_cohort_tallies(cohort_ids):
    """For a deletion of these cohorts, or of a quiz of their course: wait for
    every update of their tallies, and keep new ones out until the transaction
    ends (they then find what was deleted gone). One statement; the locks are
    taken in cohort order, so two deletions never deadlock."""
    ids = sorted(set(cohort_ids))
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) WITH ORDINALITY"
            " AS locks(key, n) ORDER BY n",
            [[_lock_key(f"quizzes.item_tally:{pk}") for pk in ids]],
        )


@transaction.atomic
def update_tallies(*, quiz, cohort_id, user_ids):
    """Bring the cohort's item tallies of `quiz` up to date with its learners'
    (`user_ids`) first attempts. Concurrent updates of one cohort's tallies of
    a quiz wait for each other, so no attempt is counted twice.

    Each update that finds new attempts counts them under a batch number of its
    own; attempts being taken out are marked batch 0 and deleted at the end.
    A counted attempt's deletion cannot slip between the steps: its counted
    row's foreign key makes the deletion null that row (Django's SET_NULL),
    which waits for a row this update marked, and the key check of a row it
    added holds the attempt until this update commits. A null row, seen once
    rows are marked and added, means the tallies are rebuilt.

    Returns (attempts taken out, attempts added)."""
    _lock_for_update(cohort_id, quiz.pk)
    cohorts = TalliedAttempt._meta.get_field("cohort").related_model.objects
    if not Quiz.objects.filter(pk=quiz.pk).filter(Exists(cohorts.filter(pk=cohort_id))).exists():
        return 0, 0  # the cohort or quiz was deleted while this waited: nothing to count
    counted = TalliedAttempt.objects.filter(cohort_id=cohort_id, quiz=quiz)
    left = counted.exclude(user_id__in=user_ids).update(batch=0)
    batch = (counted.aggregate(last=Max("batch"))["last"] or 0) + 1
    added = _count_new_attempts(quiz, cohort_id, user_ids, batch)
    if counted.filter(attempt__isnull=True).exists():
        # A counted attempt was deleted, and its responses with it: start again.
        counted.delete()
        ItemTally.objects.filter(cohort_id=cohort_id, quiz=quiz).delete()
        left, added = 0, _count_new_attempts(quiz, cohort_id, user_ids, batch)
    if not (left or added):
        return 0, 0
    tallies = {t.question_id: t for t in ItemTally.objects.filter(cohort_id=cohort_id, quiz=quiz)}

    def histograms(number):
        return _histograms(counted.filter(batch=number).values("attempt_id", total=F("points")))

    if left:
        _fold(tallies, histograms(0), -1, quiz=quiz, cohort_id=cohort_id)
    if added:
        new = histograms(batch)
        _fold(tallies, new, 1, quiz=quiz, cohort_id=cohort_id)
        _add_shown_choices(tallies, new, only_unknown=True)
    # Written again whole: two statements, where bulk_update's CASE per row and
    # field costs more to build than the rows do to write.
    ItemTally.objects.filter(cohort_id=cohort_id, quiz=quiz).delete()
    for tally in tallies.values():
        tally.pk = None
    ItemTally.objects.bulk_create(tallies.values())
    counted.filter(batch=0).delete()
    return left, added
