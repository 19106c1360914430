"""The klonopin course's content: its question bank passes the item linter,
every topic has enough application-level items, every lesson carries referenced
clinical notes, and every citation resolves."""

import io
import re

import pytest
from django.core.management import call_command

from edu.courses.models import Lesson
from quizzes.citations import cited
from quizzes.gift import parse_gift
from quizzes.models import Question, Quiz

from .conftest import KLONOPIN

BANK = KLONOPIN / "questions.gift"
TOPICS = {  # quiz slug: (bank category, at least this many items)
    "how-clonazepam-works": ("gaba", 12),
    "indications": ("indications", 12),
    "dependence-and-misuse": ("dependence", 12),
    "withdrawal-safety": ("withdrawal", 12),
    "interactions-and-overdose": ("interactions", 10),
    "special-populations": ("populations", 10),
}
FINAL_ONLY_MINIMUM = 20


def lint(*args):
    out = io.StringIO()
    try:
        call_command("lint_bank", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_the_bank_passes_lint_bank_strict():
    code, output = lint("--strict", str(BANK))
    assert code == 0, output
    assert output.strip().endswith("lint_bank: 0 errors, 0 warnings in 1 file")


def test_the_summary_counts_items_per_topic_and_level():
    code, output = lint("--summary", str(BANK))
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in output.splitlines()[1:9]}
    for category, minimum in [*TOPICS.values(), ("final", FINAL_ONLY_MINIMUM)]:
        recall, application, analysis, no_level, _sata, total = map(int, rows[category])
        assert total >= minimum and no_level == 0, category
        assert recall + application + analysis == total, category
    share = re.search(r"application \+ analysis: (\d+) of (\d+) items", output)
    applied, total = int(share.group(1)), int(share.group(2))
    assert applied / total >= 0.6


def test_every_item_has_a_level_a_lesson_and_a_reference_on_every_option():
    bank = parse_gift(BANK.read_text())
    for question in bank.questions:
        label = question.external_id
        assert label and question.level and question.lesson and question.tags, label
        assert cited(question.general_feedback), label
        for choice in question.choices:
            assert cited(choice.feedback), (label, choice.text)
        stem = question.stem.lower()
        assert not any(
            words in stem for words in ("the lesson", "the article", "the introduction")
        ), label


@pytest.mark.django_db
def test_quizzes_follow_their_lessons_and_the_final_draws_by_blueprint(klonopin):
    quizzes = {q.slug: q for q in Quiz.objects.filter(course=klonopin)}
    assert set(quizzes) == {*TOPICS, "final-assessment"}
    for slug, (_category, minimum) in TOPICS.items():
        assert quizzes[slug].questions.count() >= minimum, slug
    final = quizzes["final-assessment"]
    assert final.questions.count() >= FINAL_ONLY_MINIMUM
    blueprint = {e.source.slug: e.count for e in final.blueprint.select_related("source")}
    assert blueprint == {**{slug: 2 for slug in TOPICS}, "final-assessment": 8}
    assert final.questions.count() >= 2 * blueprint["final-assessment"]
    assert (final.attempts_allowed, final.retake_wait_hours) == (3, 24)
    assert (final.review_key, final.review_correctness) == ("when_closed", "when_closed")
    assert quizzes["how-clonazepam-works"].after_lesson.slug == "how-klonopin-works"
    assert quizzes["dependence-and-misuse"].after_lesson.slug == "the-risks-of-dependence"
    assert quizzes["withdrawal-safety"].after_lesson.slug == "withdrawal-and-safety-concerns"


@pytest.mark.django_db
def test_every_lesson_has_objectives_key_points_and_referenced_notes(klonopin):
    keys = klonopin.reference_keys()
    assert len(keys) >= 15
    for lesson in Lesson.objects.filter(course=klonopin):
        assert len(lesson.objectives) >= 3, lesson.slug
        assert "<h3>Key points</h3>" in lesson.notes_html, lesson.slug
        assert "<h3>Clinical notes</h3>" in lesson.notes_html, lesson.slug
        used = set(cited(lesson.notes))
        assert used and used <= keys, (lesson.slug, used - keys)
        assert lesson.reviewed_on and lesson.reviewer, lesson.slug
    # The article's misleading claims are corrected where they are made.
    corrected = Lesson.objects.filter(course=klonopin, notes_html__contains='class="correction"')
    assert corrected.count() == 7


@pytest.mark.django_db
def test_every_reference_the_bank_cites_resolves(klonopin):
    keys = klonopin.reference_keys()
    for question in Question.objects.filter(quiz__course=klonopin).prefetch_related("choices"):
        texts = [question.stem, question.general_feedback]
        texts += [t for c in question.choices.all() for t in (c.text, c.feedback)]
        used = {key for text in texts for key in cited(text)}
        assert used and used <= keys, (question.external_id, used - keys)
