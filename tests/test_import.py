"""The article importer and the course loader, through their commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from edu.courses.models import Course, Lesson, LessonProgress
from edu.courses.services import complete_lesson

from .conftest import FIXTURES, KLONOPIN, SEED_LESSONS


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        list(Course.objects.values_list("slug", "title", "summary", "published").order_by("pk")),
        list(Lesson.objects.values_list("slug", "title", "position", "body", "published")
             .order_by("pk")),
        list(LessonProgress.objects.values_list("user_id", "lesson_id", "completed_at")
             .order_by("pk")),
    )


@pytest.mark.django_db
def test_load_course_builds_the_seven_seed_lessons_and_says_what_it_skipped():
    output = run("load_course", str(KLONOPIN))
    course = Course.objects.get(slug="klonopin")
    assert course.title == "Clonazepam (Klonopin): pharmacology, safe use and withdrawal"
    assert course.published
    assert list(course.lessons.values_list("title", flat=True)) == SEED_LESSONS
    assert list(course.lessons.values_list("position", flat=True)) == list(range(1, 8))
    assert "7 lessons created" in output
    assert "Skipped 'Recovery articles for you' at line 49" in output
    uses = course.lessons.get(slug="medical-uses-of-klonopin")
    assert uses.body_html.count("<li>") == 4


@pytest.mark.django_db
def test_reloading_changes_nothing_and_keeps_progress(klonopin, learner):
    lesson = klonopin.lessons.get(slug="how-klonopin-works")
    complete_lesson(user=learner, lesson=lesson)
    before = snapshot()
    output = run("load_course", str(KLONOPIN))
    assert "0 lessons created, 0 updated, 7 unchanged" in output
    assert snapshot() == before


@pytest.mark.django_db
def test_reimport_updates_in_place_reorders_and_unpublishes_missing_lessons(
    tmp_path, learner
):
    article = tmp_path / "a.txt"
    article.write_text(
        "T\n\nIntro text that is long enough.\n\n"
        "First\n\nOne.\n\nSecond\n\nTwo.\n\nThird\n\nThree.\n"
    )
    run("import_article", str(article), "--slug", "t")
    second = Lesson.objects.get(slug="second")
    complete_lesson(user=learner, lesson=second)
    article.write_text(
        "T\n\nIntro text that is long enough.\n\nSecond\n\nTwo, revised.\n\nFirst\n\nOne.\n"
    )
    output = run("import_article", str(article), "--slug", "t")
    course = Course.objects.get(slug="t")
    assert list(course.lessons.published().values_list("slug", flat=True)) == [
        "introduction",
        "second",
        "first",
    ]
    second.refresh_from_db()
    assert second.pk == Lesson.objects.get(slug="second").pk
    assert second.body_html == "<p>Two, revised.</p>"
    assert LessonProgress.objects.get(lesson=second).completed_at is not None
    third = Lesson.objects.get(slug="third")
    assert not third.published and third.position == 4
    assert "Unpublished lesson 'Third'" in output


@pytest.mark.django_db
def test_fixture_article_imports_into_the_right_sections():
    output = run("import_article", str(FIXTURES / "articles" / "faq.txt"), "--slug", "caffeine")
    lessons = Lesson.objects.filter(course__slug="caffeine")
    assert list(lessons.values_list("slug", flat=True)) == [
        "introduction",
        "what-does-caffeine-do",
        "who-should-be-careful",
        "cutting-down-safely",
    ]
    careful = lessons.get(slug="who-should-be-careful")
    assert careful.body_html.count("<li>") == 4
    assert "<p>People in these groups should talk to a clinician first:</p>\n<ul>" in (
        careful.body_html
    )
    assert "Skipped 'Related reading'" in output


@pytest.mark.django_db
def test_course_slug_defaults_to_the_title():
    run("import_article", str(FIXTURES / "articles" / "faq.txt"))
    assert Course.objects.get().slug == "caffeine-and-sleep-a-plain-language-guide"


BAD_FILES = [
    ("missing.txt", None, "missing.txt: no such file"),
    ("empty.txt", b"", "empty.txt: the file is empty"),
    ("binary.txt", b"Title\n\nText\n\x00\x89PNG", "binary.txt:4: binary data"),
    ("latin1.txt", "Title\n\nHeading\n\nCafé.\n".encode("latin-1"), "latin1.txt:5: not UTF-8"),
    ("noheads.txt", (FIXTURES / "articles" / "no_headings.txt").read_bytes(),
     "noheads.txt:1: no section headings"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES)
def test_bad_files_fail_with_one_line_and_change_nothing(klonopin, tmp_path, name, data, message):
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        call_command("import_article", str(path), "--slug", "klonopin")
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith(f"{tmp_path}/{message}")
    assert snapshot() == before


@pytest.mark.django_db
def test_a_failure_late_in_the_import_leaves_nothing_half_written(tmp_path, monkeypatch):
    from edu.courses import importers

    article = tmp_path / "a.txt"
    article.write_text("T\n\nIntro text.\n\nFirst\n\nOne.\n\nSecond\n\nTwo.\n")
    real_create = Lesson.objects.create
    calls = []

    def create_then_fail(**kwargs):
        calls.append(kwargs["slug"])
        if len(calls) == 3:
            raise importers.ImportFailed(f"{article}:9: simulated failure")
        return real_create(**kwargs)

    monkeypatch.setattr(Lesson.objects, "create", create_then_fail)
    with pytest.raises(CommandError, match="simulated failure"):
        call_command("import_article", str(article))
    assert calls == ["introduction", "first", "second"]
    assert not Course.objects.exists()
    assert not Lesson.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "course.toml: no such file"),
        ("[course\nslug = 1", "course.toml: Expected ']'"),
        ("title = 'x'", "course.toml: a [course] table is required"),
        ("[course]\nslug = 'x'", "course.toml: [course] needs 'article' (text)"),
    ],
)
def test_bad_manifest_is_reported_with_its_file(tmp_path, manifest, message):
    if manifest is not None:
        (tmp_path / "course.toml").write_text(manifest)
    with pytest.raises(CommandError) as exc:
        call_command("load_course", str(tmp_path))
    assert message in str(exc.value)
    assert str(tmp_path) in str(exc.value)
    assert not Course.objects.exists()
