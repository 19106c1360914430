"""GIFT import and export against the database, through commands and the admin."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from quizzes.models import Choice, Question

from .conftest import FIXTURES
from .factories import CourseFactory, LessonFactory, QuizFactory, UserFactory

EVERY = FIXTURES / "gift" / "every_construct.gift"


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def bank_of(quiz):
    return [
        (
            q.external_id, q.kind, q.title, q.stem, q.general_feedback, q.tags, q.scoring,
            q.lesson_id,
            [(c.text, c.is_correct, c.weight, c.feedback) for c in q.choices.all()],
        )
        for q in quiz.questions.prefetch_related("choices")
    ]


@pytest.mark.django_db
def test_import_command_creates_questions_and_prints_warnings_with_lines():
    quiz = QuizFactory(slug="pharm")
    output = run("import_gift", str(EVERY), "--quiz", "pharm", "--lint-warn-only")
    assert quiz.questions.count() == 6
    assert "6 questions created, 0 updated, 0 unchanged" in output
    assert f"{EVERY}:35: skipped a short-answer question" in output
    assert f"{EVERY}:43: skipped a description" in output
    sata = quiz.questions.get(external_id="sata-1")
    assert sata.kind == "multiple" and sata.scoring == "weights"
    assert list(sata.choices.values_list("is_correct", flat=True)) == [True, True, False]


@pytest.mark.django_db
def test_a_malformed_question_imports_nothing(tmp_path):
    quiz = QuizFactory(slug="pharm")
    bad = tmp_path / "bad.gift"
    bad.write_text(EVERY.read_text() + "\n\n// [id:broken]\nBroken {=a ~b\n")
    with pytest.raises(CommandError) as exc:
        call_command("import_gift", str(bad), "--quiz", "pharm")
    assert str(exc.value) == f"{bad}:47: unclosed brace '{{'"
    assert not Question.objects.exists() and not Choice.objects.exists()
    assert quiz.questions.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Q {=a ~b}\n\xff\xfe", ":2: not UTF-8 text"),
        (b"Q {=a ~b}\x00", ": binary data"),
        (b"// [lesson:nowhere]\nQ {=a ~b}", ":2: no lesson 'nowhere' in this course"),
        (b"// [id:x]\nQ {=a ~b}\n\n// [id:x]\nR {=a ~b}", ":5: id 'x' is used twice"),
    ],
)
def test_bad_files_are_refused_with_file_and_line(tmp_path, content, message):
    QuizFactory(slug="pharm")
    path = tmp_path / "bank.gift"
    path.write_bytes(content)
    with pytest.raises(CommandError) as exc:
        call_command("import_gift", str(path), "--quiz", "pharm")
    assert str(exc.value).startswith(f"{path}{message}")
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_unknown_quiz_is_a_clear_error():
    with pytest.raises(CommandError, match="no quiz 'nope'"):
        call_command("import_gift", str(EVERY), "--quiz", "nope")


@pytest.mark.django_db
def test_reimport_by_id_updates_in_place(tmp_path):
    quiz = QuizFactory(slug="pharm")
    run("import_gift", str(EVERY), "--quiz", "pharm", "--lint-warn-only")
    pk = quiz.questions.get(external_id="weights-1").pk
    edited = tmp_path / "edited.gift"
    edited.write_text(EVERY.read_text().replace("Pick the best option.", "Pick the best one."))
    output = run("import_gift", str(edited), "--quiz", "pharm", "--lint-warn-only")
    assert "1 questions created, 1 updated, 4 unchanged" in output
    question = quiz.questions.get(external_id="weights-1")
    assert question.pk == pk and question.stem == "Pick the best one."
    # The missing-word question has no id: importing again adds it again, as in Moodle.
    assert quiz.questions.count() == 7


@pytest.mark.django_db
def test_export_then_import_gives_the_same_bank(tmp_path):
    course = CourseFactory()
    LessonFactory(course=course, slug="how-it-works")
    source = QuizFactory(course=course, slug="source")
    text = EVERY.read_text().replace("// [id:sata-1]", "// [id:sata-1]\n// [lesson:how-it-works]")
    original = tmp_path / "original.gift"
    original.write_text(text)
    run("import_gift", str(original), "--quiz", "source", "--lint-warn-only")
    exported = tmp_path / "exported.gift"
    run("export_gift", "--quiz", "source", "-o", str(exported))
    target = QuizFactory(course=course, slug="target")
    run("import_gift", str(exported), "--quiz", "target", "--lint-warn-only")
    assert bank_of(target) == bank_of(source)
    assert exported.read_text().startswith("$CATEGORY: source\n")
    assert "// [lesson:how-it-works]" in exported.read_text()


@pytest.mark.django_db
def test_export_derives_weights_for_questions_ticked_in_the_admin():
    from quizzes.importers import export_gift

    from .factories import QuestionFactory

    quiz = QuizFactory()
    QuestionFactory(
        quiz=quiz, kind="multiple", scoring="plus_minus", external_id="m",
        options=[("A", True), ("B", True), ("C", False)],
    )
    text = export_gift(quiz)
    assert "// [scoring:plus-minus]" in text
    assert "~%50%A-text#FEEDBACK-A" in text and "~%-50%C-text#FEEDBACK-C" in text


@pytest.fixture
def instructor_client(client):
    from django.contrib.auth.models import Group

    user = UserFactory(username="teacher", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructor"))
    client.force_login(user)
    return client


CLEAN_ITEM = """// [id:q1] [lesson:{lesson}] [level:application]
::Q1::A person taking clonazepam asks what to avoid. Which is the best advice? {{
\t=Alcohol#Right: it adds to the sedation.
\t~Orange juice#No known interaction.
\t~Walking#Exercise is fine.
\t~Water#Fine.
}}
"""


@pytest.mark.django_db
def test_admin_upload_imports_and_reports_lint_warnings(instructor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .factories import LessonFactory

    quiz = QuizFactory()
    lesson = LessonFactory(course=quiz.course)
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    bank = CLEAN_ITEM.format(lesson=lesson.slug) + "\nSkip me {=short}\n"
    response = instructor_client.post(
        url, {"file": SimpleUploadedFile("bank.gift", bank.encode())}, follow=True
    )
    html = response.content.decode().lower()  # the admin capitalises messages
    assert "1 questions created" in html
    assert "bank.gift:9: skipped a short-answer question" in html
    assert "bank.gift:2: [q1] stem-clang" not in html
    assert quiz.questions.count() == 1


@pytest.mark.django_db
def test_admin_upload_with_lint_errors_shows_them_and_imports_nothing(instructor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    quiz = QuizFactory()
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = instructor_client.post(
        url, {"file": SimpleUploadedFile("bank.gift", EVERY.read_bytes())}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "bank.gift:13: [weights-1] missing-lesson" in html
    assert "missing-rationale" in html
    assert not quiz.questions.exists()


@pytest.mark.django_db
def test_admin_upload_of_a_bad_file_shows_the_line_and_imports_nothing(instructor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    quiz = QuizFactory()
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = instructor_client.post(
        url, {"file": SimpleUploadedFile("bad.gift", b"Q1 {=a ~b}\n\nQ2 {~a ~b}")}
    )
    assert response.status_code == 400
    assert "bad.gift:3: no correct answer" in response.content.decode()
    assert not quiz.questions.exists()


@pytest.mark.django_db
def test_admin_export_downloads_gift(instructor_client):
    quiz = QuizFactory(slug="pharm")
    run("import_gift", str(EVERY), "--quiz", "pharm", "--lint-warn-only")
    response = instructor_client.get(reverse("admin:quizzes_quiz_export_gift", args=[quiz.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pharm.gift.txt"'
    assert "// [id:tf-1]" in response.content.decode()


@pytest.mark.django_db
def test_admin_validates_correct_options(instructor_client):
    quiz = QuizFactory()
    url = reverse("admin:quizzes_question_add")
    form = {
        "quiz": quiz.pk, "position": 1, "kind": "single", "scoring": "all_or_nothing",
        "stem": "S?", "tags": "[]", "external_id": "", "title": "", "general_feedback": "",
        "choices-TOTAL_FORMS": 3, "choices-INITIAL_FORMS": 0, "choices-MIN_NUM_FORMS": 2,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for n in range(3):
        form |= {f"choices-{n}-position": n, f"choices-{n}-text": f"o{n}",
                 f"choices-{n}-weight": 0, f"choices-{n}-feedback": ""}
    two_ticks = form | {"choices-0-is_correct": "on", "choices-1-is_correct": "on"}
    response = instructor_client.post(url, two_ticks)
    assert "needs exactly one correct option (2 ticked)" in response.content.decode()
    none_ticked = form | {"kind": "multiple"}
    response = instructor_client.post(url, none_ticked)
    assert "needs at least one correct option" in response.content.decode()
    assert not Question.objects.exists()
    response = instructor_client.post(url, form | {"choices-2-is_correct": "on"})
    assert response.status_code == 302
    assert Question.objects.get().choices.filter(is_correct=True).count() == 1


@pytest.mark.django_db
def test_admin_question_preview_shows_options_without_the_key(instructor_client):
    from .factories import QuestionFactory

    question = QuestionFactory()
    html = instructor_client.get(
        reverse("admin:quizzes_question_change", args=[question.pk])
    ).content.decode()
    preview = html.split("Preview (as a learner sees it)", 1)[1]
    assert "A-text" in preview and 'type="radio" disabled' in preview
