"""Build courses from course folders: the article importer and the manifest.

`import_article()` is a plain function in one transaction; it raises
`ImportFailed` with a one-line "FILE:LINE: reason" message and leaves the
database exactly as it was. The management commands only wrap it.

Every file a course folder's `course.toml` names must resolve (symlinks
followed) inside that folder and be a regular file within a size limit; it is
checked before anything opens it, and never more than the limit is read.
"""

import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max

from quizzes import caching as quiz_caching
from quizzes.importers import (
    BANK_SIZE_LIMIT,
    GiftImportFailed,
    check_bank,
    read_gift,
    save_questions,
)
from quizzes.lint import lint_text_findings
from quizzes.models import BlueprintEntry, Quiz

from . import caching
from .article import ArticleFormatError, decode, parse_article, unique_slugs
from .models import Course, Lesson, Reference
from .notes import NotesError, parse_notes, unquoted

REFERENCE_KEY_RE = re.compile(r"[a-z0-9][a-z0-9.-]*")

MANIFEST_NAME = "course.toml"


class ImportFailed(Exception):
    """A course file could not be imported; the message names the file and line."""


def _where(path, line=None):
    return f"{path}:{line}" if line else f"{path}"


MiB = 1024 * 1024
# What a course file is -> (its size limit in bytes, or None for a folder; its name).
LIMITS = {
    "manifest": (2 * MiB, "a manifest"),
    "article": (2 * MiB, "an article"),
    "references": (2 * MiB, "a references file"),
    "notes folder": (None, "a notes folder"),
    "note": (2 * MiB, "a note"),
    "bank file": (BANK_SIZE_LIMIT, "a question bank"),
}


def course_file(folder, what, name) -> Path:
    """`name` as the manifest gives it, checked: inside the course folder, then `check_file`."""
    folder = Path(folder)
    if not isinstance(name, str) or not name.strip():
        raise ImportFailed(f"{folder / MANIFEST_NAME}: {what} must be a file name (text)")
    path = folder / name
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ImportFailed(
            f'{folder / MANIFEST_NAME}: {what} "{name}" is outside the course folder'
        )
    return check_file(path, what)


def check_file(path, what) -> Path:
    """Refuse anything but a regular file within the limit for `what` (or a folder,
    for a notes folder), from its stat alone: a device or FIFO is never opened."""
    path = Path(path)
    limit, kind = LIMITS[what]
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImportFailed(f"{path}: no such {'folder' if limit is None else 'file'}") from None
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be read ({exc.strerror})") from None
    mode, size = info.st_mode, info.st_size
    if limit is None:
        if not stat.S_ISDIR(mode):
            raise ImportFailed(f"{path}: not a folder")
    elif stat.S_ISDIR(mode):
        raise ImportFailed(f"{path}: is a folder, not a file")
    elif not stat.S_ISREG(mode):
        raise ImportFailed(f"{path}: not a regular file")
    elif size > limit:
        raise ImportFailed(
            f"{path}: {size / MiB:.1f} MiB, over the {limit // MiB} MiB limit for {kind}"
        )
    return path


def read_text(path, what="article") -> str:
    """The file's text, read only after `check_file` and never beyond its limit."""
    path = check_file(path, what)
    limit, kind = LIMITS[what]
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise ImportFailed(f"{path}: over the {limit // MiB} MiB limit for {kind}")
    try:
        return decode(data)
    except ArticleFormatError as exc:
        raise ImportFailed(f"{_where(path, exc.line)}: {exc.reason}") from None


@dataclass
class ArticleReport:
    course: Course
    course_created: bool = False
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    retired: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def lines(self):
        verb = "Created" if self.course_created else "Re-imported"
        yield (
            f"{verb} course {self.course.slug!r}: {len(self.created)} lessons created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged."
        )
        for title in self.retired:
            yield f"Unpublished lesson {title!r}: it is no longer in the article (progress kept)."
        for skip in self.skipped:
            yield (
                f"Skipped {skip.title!r} at line {skip.line}: a navigation list of "
                f"{skip.entries} links, not a lesson."
            )


@transaction.atomic
def import_article(path, *, slug=None, title=None, summary=None, source=None, published=True):
    """Create or update a course and its lessons from an article file.

    Lessons are matched by slug and updated in place, so learners' progress
    survives a re-import; lessons no longer in the article are unpublished,
    never deleted.
    """
    path = Path(path)
    text = read_text(path)
    try:
        article = parse_article(text)
    except ArticleFormatError as exc:
        raise ImportFailed(f"{_where(path, exc.line)}: {exc.reason}") from None

    title = title or article.title
    slug = slug or unique_slugs([title], max_length=50)[0]
    defaults = {
        "title": title,
        "summary": article.summary if summary is None else summary,
        "source": path.name if source is None else source,
        "published": published,
    }
    course, created = Course.objects.select_for_update().get_or_create(
        slug=slug, defaults=defaults
    )
    if not created and any(getattr(course, k) != v for k, v in defaults.items()):
        for key, value in defaults.items():
            setattr(course, key, value)
        course.save()

    report = ArticleReport(course=course, course_created=created, skipped=article.skipped)
    existing = {lesson.slug: lesson for lesson in course.lessons.select_for_update()}
    slugs = unique_slugs([section.title for section in article.sections])
    wanted = {
        slug: {"title": s.title, "body": s.body, "position": n, "published": True}
        for n, (slug, s) in enumerate(zip(slugs, article.sections, strict=True), start=1)
    }
    retired = [lesson for s, lesson in existing.items() if s not in wanted]
    for n, lesson in enumerate(retired, start=len(wanted) + 1):
        wanted[lesson.slug] = {**_fields(lesson), "position": n, "published": False}

    moves = [s for s, lesson in existing.items() if lesson.position != wanted[s]["position"]]
    if moves:
        # Positions are unique per course: park every lesson beyond the range in
        # use, then give each its final place.
        offset = (course.lessons.aggregate(top=Max("position"))["top"] or 0) + len(wanted) + 1
        course.lessons.update(position=F("position") + offset)
        for lesson in existing.values():
            lesson.position += offset

    for lesson_slug, values in wanted.items():
        lesson = existing.get(lesson_slug)
        if lesson is None:
            Lesson.objects.create(course=course, slug=lesson_slug, **values)
            report.created.append(values["title"])
        elif _fields(lesson) != values:
            for key, value in values.items():
                setattr(lesson, key, value)
            lesson.save()
            if lesson in retired:
                report.retired.append(lesson.title)
            else:
                report.updated.append(values["title"])
        else:
            report.unchanged.append(values["title"])
    caching.content_changed()  # positions move in bulk: no signal says so
    return report


def _fields(lesson):
    return {
        "title": lesson.title,
        "body": lesson.body,
        "position": lesson.position,
        "published": lesson.published,
    }


@dataclass(frozen=True)
class Manifest:
    folder: Path
    slug: str
    article: Path
    title: str | None
    summary: str | None
    source: str | None
    published: bool
    data: dict


def read_manifest(folder) -> Manifest:
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    try:
        data = tomllib.loads(read_text(path, "manifest"))
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(f"{path}: {exc}") from None
    course = data.get("course")
    if not isinstance(course, dict):
        raise ImportFailed(f"{path}: a [course] table is required")
    for key in ("slug", "article"):
        if not isinstance(course.get(key), str) or not course[key].strip():
            raise ImportFailed(f"{path}: [course] needs '{key}' (text)")
    return Manifest(
        folder=folder,
        slug=course["slug"],
        article=course_file(folder, "article", course["article"]),
        title=course.get("title"),
        summary=course.get("summary"),
        source=course.get("source"),
        published=bool(course.get("published", True)),
        data=data,
    )


QUIZ_SETTINGS = {
    "title": str,
    "description": str,
    "category": str,
    "after_lesson": str,
    "pass_mark": int,
    "questions_per_attempt": int,
    "blueprint": dict,
    "shuffle_questions": bool,
    "shuffle_choices": bool,
    "attempts_allowed": int,
    "retake_wait_hours": int,
    "feedback": str,
    "review_correctness": str,
    "review_key": str,
    "published": bool,
}
# A quiz with a blueprint certifies: unless the manifest says otherwise it
# allows 3 attempts a day apart and shows its key only after a pass or the last
# attempt.
ASSESSMENT_DEFAULTS = {
    "attempts_allowed": 3,
    "retake_wait_hours": 24,
    "review_correctness": "when_closed",
    "review_key": "when_closed",
}


def _quiz_entries(manifest):
    path = manifest.folder / MANIFEST_NAME
    entries = manifest.data.get("quizzes", [])
    if not isinstance(entries, list):
        raise ImportFailed(f"{path}: [[quizzes]] must be a list of tables")
    for entry in entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not slug:
            raise ImportFailed(f"{path}: every [[quizzes]] entry needs a slug")
        for key, value in entry.items():
            if key == "slug":
                continue
            if key not in QUIZ_SETTINGS:
                raise ImportFailed(f"{path}: quiz {slug!r}: unknown setting {key!r}")
            if not isinstance(value, QUIZ_SETTINGS[key]):
                kind = QUIZ_SETTINGS[key].__name__
                raise ImportFailed(f"{path}: quiz {slug!r}: {key} must be {kind}")
    return entries


def _load_quizzes(manifest, course):
    """Create or update the manifest's quizzes and fill them from the GIFT bank."""
    path = manifest.folder / MANIFEST_NAME
    entries = _quiz_entries(manifest)
    bank_file = (manifest.data.get("bank") or {}).get("file")
    if entries and not bank_file:
        raise ImportFailed(f"{path}: quizzes need a [bank] file")
    if not bank_file:
        return []
    bank_path = course_file(manifest.folder, "bank file", bank_file)
    try:
        bank = read_gift(bank_path)
    except GiftImportFailed as exc:
        raise ImportFailed(str(exc)) from None
    unshuffled = {e.get("category") for e in entries if e.get("shuffle_choices") is False}
    try:
        findings = check_bank(
            bank.questions, source=bank_path, reference_keys=course.reference_keys(),
            unshuffled_categories=unshuffled,
        )
    except GiftImportFailed as exc:
        raise ImportFailed(str(exc)) from None
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    categories = {entry.get("category") for entry in entries}
    for question in bank.questions:
        if question.category not in categories:
            raise ImportFailed(
                f"{bank_path}:{question.line}: category {question.category!r} "
                f"belongs to no quiz in {MANIFEST_NAME}"
            )
    lines, quizzes = [*bank.warnings, *findings], {}
    for position, entry in enumerate(entries, start=1):
        values = {k: v for k, v in entry.items() if k not in ("slug", "category", "blueprint")}
        if entry.get("blueprint"):
            values = {**ASSESSMENT_DEFAULTS, **values}
        lesson_slug = values.pop("after_lesson", None)
        if lesson_slug is not None and lesson_slug not in lessons:
            raise ImportFailed(f"{path}: quiz {entry['slug']!r}: no lesson {lesson_slug!r}")
        values["after_lesson"] = lessons.get(lesson_slug)
        values.setdefault("title", entry["slug"])
        quiz = Quiz.objects.filter(course=course, slug=entry["slug"]).first() or Quiz(
            course=course, slug=entry["slug"]
        )
        for key, value in {**values, "position": position}.items():
            setattr(quiz, key, value)
        try:
            quiz.full_clean()
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise ImportFailed(f"{path}: quiz {entry['slug']!r}: {problems}") from None
        quiz.save()
        quizzes[entry["slug"]] = quiz
        category = entry.get("category")
        if category is not None:
            chosen = [q for q in bank.questions if q.category == category]
            try:
                report = save_questions(chosen, quiz=quiz, source=bank_path)
            except GiftImportFailed as exc:
                raise ImportFailed(str(exc)) from None
            lines.extend(report.lines(f"Quiz {quiz.slug!r}"))
    for entry in entries:
        _set_blueprint(path, quizzes[entry["slug"]], entry.get("blueprint", {}), quizzes)
    return lines


def _set_blueprint(path, quiz, blueprint, quizzes):
    """{quiz slug: questions per attempt}; the quiz's own slug means its own items."""
    entries = []
    for slug, count in blueprint.items():
        source = quizzes.get(slug)
        if source is None:
            raise ImportFailed(f"{path}: quiz {quiz.slug!r}: blueprint names unknown quiz {slug!r}")
        if not isinstance(count, int) or count < 1:
            raise ImportFailed(
                f"{path}: quiz {quiz.slug!r}: blueprint {slug!r} must be a whole number above 0"
            )
        available = source.questions.count()
        if count > available:
            raise ImportFailed(
                f"{path}: quiz {quiz.slug!r}: blueprint asks for {count} questions of "
                f"{slug!r}, which has {available}"
            )
        entries.append(BlueprintEntry(quiz=quiz, source=source, count=count))
    quiz.blueprint.all().delete()
    BlueprintEntry.objects.bulk_create(entries)


def _load_references(manifest, course):
    """The course's reference list, replaced by the file's (matched by key)."""
    name = manifest.data["course"].get("references")
    if not name:
        return []
    path = course_file(manifest.folder, "references", name)
    try:
        data = tomllib.loads(read_text(path, "references"))
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(f"{path}: {exc}") from None
    entries = data.get("references")
    if not isinstance(entries, list) or not entries:
        raise ImportFailed(f"{path}: needs [[references]] entries")
    wanted = {}
    for position, entry in enumerate(entries, start=1):
        key = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not REFERENCE_KEY_RE.fullmatch(key):
            raise ImportFailed(f"{path}: reference {position} needs a key of a-z, 0-9, '.' and '-'")
        if key in wanted:
            raise ImportFailed(f"{path}: reference key {key!r} is used twice")
        if not isinstance(entry.get("title"), str) or not entry["title"].strip():
            raise ImportFailed(f"{path}: reference {key!r} needs a title")
        wanted[key] = {
            "position": position,
            "title": entry["title"],
            "publisher": str(entry.get("publisher", "")),
            "supports": str(entry.get("supports", "")),
        }
    course.references.exclude(key__in=wanted).delete()
    for key, values in wanted.items():
        Reference.objects.update_or_create(course=course, key=key, defaults=values)
    return [f"References: {len(wanted)} sources."]


def _load_notes(manifest, course):
    """Each lesson's clinical notes from `notes/<lesson slug>.md`."""
    settings = manifest.data.get("notes")
    if not settings:
        return []
    name = settings.get("folder", "notes")
    folder = course_file(manifest.folder, "notes folder", name)
    keys = course.reference_keys()
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    lines = []
    for path in sorted(folder.glob("*.md")):
        lesson = lessons.get(path.stem)
        if lesson is None:
            raise ImportFailed(f"{path}: no lesson {path.stem!r} in this course")
        text = read_text(course_file(manifest.folder, "note", f"{name}/{path.name}"), "note")
        try:
            notes = parse_notes(text)
        except NotesError as exc:
            raise ImportFailed(f"{path}:{exc.line}: {exc.reason}") from None
        for key, line in notes.references.items():
            if key not in keys:
                raise ImportFailed(f"{path}:{line}: unknown reference [ref:{key}]")
        findings = lint_text_findings(unquoted(text), source=str(path))
        lines.extend(str(finding) for finding in findings)
        lesson.notes = text
        lesson.reviewed_on = settings.get("reviewed_on")
        lesson.reviewer = str(settings.get("reviewer", ""))
        lesson.save()
    return lines


def _set_topic_labels(manifest, course):
    """`[topics]` in the manifest: how each topic tag is named to learners."""
    labels = manifest.data.get("topics", {})
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in labels.items()
    ):
        raise ImportFailed(
            f"{manifest.folder / MANIFEST_NAME}: [topics] maps each tag to a name (text)"
        )
    if course.topic_labels != labels:
        course.topic_labels = labels
        course.save(update_fields=["topic_labels"])


@transaction.atomic
def load_course(folder):
    """Load a whole course folder as its manifest describes: one transaction."""
    manifest = read_manifest(folder)
    report = import_article(
        manifest.article,
        slug=manifest.slug,
        title=manifest.title,
        summary=manifest.summary,
        source=manifest.source,
        published=manifest.published,
    )
    course = report.course
    _set_topic_labels(manifest, course)
    lines = [
        *report.lines(),
        *_load_references(manifest, course),
        *_load_notes(manifest, course),
        *_load_quizzes(manifest, course),
    ]
    caching.content_changed()  # references and blueprints are written in bulk
    quiz_caching.bank_changed()
    return lines
