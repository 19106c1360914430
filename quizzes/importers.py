"""GIFT question banks in and out of the database.

`import_gift()` is one transaction: a malformed question anywhere fails the
whole file with "FILE:LINE: reason" and nothing is imported. Questions with a
GIFT `[id:…]` are updated in place when imported again.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from . import caching, lint
from .citations import cited
from .gift import GiftChoice, GiftError, GiftQuestion, parse_gift, write_gift
from .models import Choice, Question, Quiz


class GiftImportFailed(Exception):
    """The bank could not be imported; the message names the file and line."""


@dataclass
class GiftReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list = field(default_factory=list)

    def lines(self, quiz_label):
        yield (
            f"{quiz_label}: {self.created} questions created, {self.updated} updated, "
            f"{self.unchanged} unchanged."
        )
        yield from self.warnings


# The largest question bank read from a file or an upload.
BANK_SIZE_LIMIT = 5 * 1024 * 1024


def read_gift(path, *, limit=BANK_SIZE_LIMIT):
    """Parse a GIFT file, turning every problem into GiftImportFailed.

    Only a regular file of at most `limit` bytes is opened (a device or FIFO
    never is), and never more than that is read.
    """
    path, too_big = Path(path), f"over the {limit / 2**20:g} MiB limit for a question bank"
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise GiftImportFailed(f"{path}: not a regular file")
        if size > limit:
            raise GiftImportFailed(f"{path}: {size / 2**20:.1f} MiB, {too_big}")
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise GiftImportFailed(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise GiftImportFailed(f"{path}: {too_big}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GiftImportFailed(f"{path}:{line}: not UTF-8 text") from None
    if "\x00" in text:
        raise GiftImportFailed(f"{path}: binary data, not a GIFT text file")
    try:
        bank = parse_gift(text)
    except GiftError as exc:
        raise GiftImportFailed(f"{path}:{exc.line}: {exc.reason}") from None
    bank.warnings = [f"{path}:{w.removeprefix('line ')}" for w in bank.warnings]
    return bank


def check_bank(questions, *, source, reference_keys=None, unshuffled_categories=()):
    """Lint the questions and check their [ref:KEY] citations.

    Raises GiftImportFailed on an item-writing error or an unknown reference
    (when `reference_keys` is given); returns the warnings as lines.
    """
    findings = lint.lint_questions(
        questions, source=source, unshuffled_categories=unshuffled_categories
    )
    errors = [str(f) for f in findings if f.severity == "error"]
    if reference_keys is not None:
        for question in questions:
            texts = [question.stem, question.general_feedback]
            texts += [t for c in question.choices for t in (c.text, c.feedback)]
            unknown = sorted({k for t in texts for k in cited(t)} - set(reference_keys))
            if unknown:
                errors.append(
                    f"{source}:{question.line}: [{question.external_id or '?'}] "
                    f"unknown-reference: [ref:{unknown[0]}] is not in the course's references"
                )
    if errors:
        raise GiftImportFailed("\n".join(sorted(errors)))
    return [str(f) for f in findings if f.severity != "error"]


def _lessons_by_slug(quiz):
    Lesson = Question._meta.get_field("lesson").related_model
    return {lesson.slug: lesson for lesson in Lesson.objects.filter(course_id=quiz.course_id)}


def save_questions(questions, *, quiz, source):
    """Create or update `questions` (GiftQuestion) in `quiz`. Call inside a transaction."""
    report = GiftReport()
    lessons = _lessons_by_slug(quiz)
    existing = {
        q.external_id: q
        for q in quiz.questions.exclude(external_id="")
        .select_for_update()
        .prefetch_related("choices")
    }
    seen = set()
    for position, parsed in enumerate(questions, start=1):
        if parsed.external_id and parsed.external_id in seen:
            raise GiftImportFailed(
                f"{source}:{parsed.line}: id {parsed.external_id!r} is used twice"
            )
        seen.add(parsed.external_id)
        lesson = None
        if parsed.lesson:
            lesson = lessons.get(parsed.lesson)
            if lesson is None:
                raise GiftImportFailed(
                    f"{source}:{parsed.line}: no lesson {parsed.lesson!r} in this course"
                )
        values = {
            "position": position,
            "title": parsed.title[:200],
            "kind": parsed.kind,
            "stem": parsed.stem,
            "general_feedback": parsed.general_feedback,
            "tags": parsed.tags,
            "lesson": lesson,
            "scoring": parsed.scoring if parsed.kind == "multiple" else "all_or_nothing",
            "level": parsed.level,
        }
        choices = [
            (n, c.text, c.correct, Decimal(c.weight), c.feedback)
            for n, c in enumerate(parsed.choices, start=1)
        ]
        question = existing.get(parsed.external_id) if parsed.external_id else None
        if question is None:
            question = Question.objects.create(quiz=quiz, external_id=parsed.external_id, **values)
            report.created += 1
        elif _same(question, values, choices):
            report.unchanged += 1
            continue
        else:
            for key, value in values.items():
                setattr(question, key, value)
            question.save()
            question.choices.all().delete()
            report.updated += 1
        Choice.objects.bulk_create(
            Choice(
                question=question,
                position=n,
                text=c.text,
                is_correct=c.correct,
                weight=c.weight,
                feedback=c.feedback,
            )
            for n, c in enumerate(parsed.choices, start=1)
        )
    return report


def _same(question, values, choices):
    current = [
        (c.position, c.text, c.is_correct, c.weight, c.feedback) for c in question.choices.all()
    ]
    return current == choices and all(
        getattr(question, key) == value for key, value in values.items()
    )


@transaction.atomic
def import_gift(path, *, quiz, lint_errors_stop=True):
    """Import every question of a GIFT file into one quiz.

    The item linter runs over the file and every [ref:KEY] it cites must be one
    of the course's references (when the course keeps a reference list): errors
    stop the import and warnings are reported. `lint_errors_stop=False` (for a
    bank written for Moodle, without our tags) reports lint errors as warnings.
    """
    bank = read_gift(path)
    report = save_questions(bank.questions, quiz=quiz, source=Path(path))
    reference_keys = getattr(quiz.course, "reference_keys", None)
    checks = {
        "source": Path(path),
        "reference_keys": reference_keys() if reference_keys else None,
        "unshuffled_categories": (
            () if quiz.shuffle_choices else {q.category for q in bank.questions}
        ),
    }
    if lint_errors_stop:
        findings = check_bank(bank.questions, **checks)
    else:
        findings = [str(f) for f in lint.lint_questions(
            bank.questions, source=checks["source"],
            unshuffled_categories=checks["unshuffled_categories"],
        )]
    report.warnings = [*bank.warnings, *findings]
    caching.bank_changed()  # options are bulk-created: no signal says so
    return report


def as_gift(question):
    """A stored question as a GiftQuestion (for export and for the linter)."""
    choices = list(question.choices.all())
    if question.kind == "multiple" and not any(c.weight > 0 for c in choices):
        # Authored in the admin with ticks only: derive weights Moodle can use.
        right = sum(1 for c in choices if c.is_correct) or 1
        share = (Decimal(100) / right).quantize(Decimal("0.00001"))
        weights = {c.pk: (share if c.is_correct else -share) for c in choices}
    else:
        weights = {c.pk: c.weight for c in choices}
    return GiftQuestion(
        line=0,
        kind=question.kind,
        stem=question.stem,
        title=question.title,
        general_feedback=question.general_feedback,
        external_id=question.external_id,
        tags=list(question.tags),
        lesson=question.lesson.slug if question.lesson else "",
        scoring=question.scoring,
        level=question.level,
        choices=[
            GiftChoice(text=c.text, correct=c.is_correct, weight=weights[c.pk], feedback=c.feedback)
            for c in choices
        ],
    )


def export_gift(quiz: Quiz) -> str:
    questions = quiz.questions.select_related("lesson").prefetch_related("choices")
    return write_gift([as_gift(q) for q in questions], category=quiz.slug)
