"""A course folder's files stay inside it: every file course.toml names must
resolve inside the folder, be a regular file and stay under its size limit
(issue 12). Each refusal is one line naming the file and the reason, and
nothing is written."""

import io
import os
import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from edu.courses.models import Course, Lesson
from quizzes.models import Question

from .conftest import KLONOPIN
from .factories import QuizFactory, UserFactory

MiB = 1024 * 1024


@pytest.fixture
def course_dir(tmp_path):
    """A copy of content/klonopin in tmp_path/course."""
    folder = tmp_path / "course"
    shutil.copytree(KLONOPIN, folder)
    return folder


def edit(folder, old, new):
    manifest = folder / "course.toml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new, 1))


def refused(folder):
    """load_course's one-line error; the database must be left empty."""
    with pytest.raises(CommandError) as exc:
        call_command("load_course", str(folder))
    message = str(exc.value)
    assert "\n" not in message
    assert not Course.objects.exists()
    assert not Lesson.objects.exists() and not Question.objects.exists()
    return message


def outside(folder, what, name):
    return f'{folder}/course.toml: {what} "{name}" is outside the course folder'


def sparse(path, size):
    with path.open("r+b") as file:
        file.truncate(size)


@pytest.mark.django_db
def test_the_copied_course_loads_and_a_symlink_that_stays_inside_is_fine(course_dir):
    (course_dir / "texts").mkdir()
    (course_dir / "article.txt").rename(course_dir / "texts" / "article.txt")
    (course_dir / "article.txt").symlink_to(course_dir / "texts" / "article.txt")
    call_command("load_course", str(course_dir), stdout=io.StringIO())
    assert Course.objects.get(slug="klonopin").lessons.count() == 7


@pytest.mark.django_db
def test_dot_dot_in_the_article_path_is_refused(course_dir, tmp_path):
    shutil.copy(KLONOPIN / "article.txt", tmp_path / "secret.txt")
    edit(course_dir, 'article = "article.txt"', 'article = "../secret.txt"')
    assert refused(course_dir) == outside(course_dir, "article", "../secret.txt")


@pytest.mark.django_db
def test_an_absolute_article_path_is_refused(course_dir):
    edit(course_dir, 'article = "article.txt"', 'article = "/etc/passwd"')
    assert refused(course_dir) == outside(course_dir, "article", "/etc/passwd")


@pytest.mark.django_db
def test_a_symlink_inside_the_folder_pointing_out_of_it_is_refused(course_dir, tmp_path):
    shutil.move(course_dir / "article.txt", tmp_path / "elsewhere.txt")
    (course_dir / "article.txt").symlink_to(tmp_path / "elsewhere.txt")
    assert refused(course_dir) == outside(course_dir, "article", "article.txt")


@pytest.mark.django_db
def test_a_device_file_is_refused_and_never_read(course_dir, tmp_path):
    edit(course_dir, 'article = "article.txt"', 'article = "/dev/zero"')
    assert refused(course_dir) == outside(course_dir, "article", "/dev/zero")
    # Inside the folder a FIFO (which would block an open) is not a regular file ...
    os.mkfifo(course_dir / "pipe.txt")
    edit(course_dir, 'article = "/dev/zero"', 'article = "pipe.txt"')
    assert refused(course_dir) == f"{course_dir}/pipe.txt: not a regular file"
    # ... and import_article and import_gift, given /dev/zero directly, refuse it too.
    with pytest.raises(CommandError, match=r"^/dev/zero: not a regular file$"):
        call_command("import_article", "/dev/zero", "--slug", "zero")
    QuizFactory(slug="pharm")
    with pytest.raises(CommandError, match=r"^/dev/zero: not a regular file$"):
        call_command("import_gift", "/dev/zero", "--quiz", "pharm")
    assert not Course.objects.filter(slug="zero").exists()
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_an_oversized_article_is_refused(course_dir):
    sparse(course_dir / "article.txt", 3 * MiB)
    assert refused(course_dir) == (
        f"{course_dir}/article.txt: 3.0 MiB, over the 2 MiB limit for an article"
    )


@pytest.mark.django_db
def test_an_oversized_bank_is_refused(course_dir):
    bank = course_dir / "questions.gift"
    sparse(bank, 6 * MiB)
    assert refused(course_dir) == f"{bank}: 6.0 MiB, over the 5 MiB limit for a question bank"
    QuizFactory(slug="pharm")
    with pytest.raises(CommandError) as exc:
        call_command("import_gift", str(bank), "--quiz", "pharm")
    assert str(exc.value) == f"{bank}: 6.0 MiB, over the 5 MiB limit for a question bank"
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_a_notes_folder_that_is_a_symlink_outside_is_refused(course_dir, tmp_path):
    shutil.move(course_dir / "notes", tmp_path / "other-notes")
    (course_dir / "notes").symlink_to(tmp_path / "other-notes")
    assert refused(course_dir) == outside(course_dir, "notes folder", "notes")


@pytest.mark.django_db
def test_a_note_that_is_a_symlink_outside_is_refused(course_dir, tmp_path):
    note = course_dir / "notes" / "introduction.md"
    shutil.move(note, tmp_path / "introduction.md")
    note.symlink_to(tmp_path / "introduction.md")
    assert refused(course_dir) == outside(course_dir, "note", "notes/introduction.md")


@pytest.mark.django_db
def test_the_admin_refuses_a_gift_upload_over_5_mib(client):
    from django.contrib.auth.models import Group

    user = UserFactory(username="teacher", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructor"))
    client.force_login(user)
    quiz = QuizFactory()
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    upload = SimpleUploadedFile("big.gift", b"Q {=a ~b}\n" + b" " * (6 * MiB))
    response = client.post(url, {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200  # the form is shown again with the field error
    assert "big.gift: 6.0 MiB, over the 5 MiB limit for a question bank" in html
    assert not quiz.questions.exists()
