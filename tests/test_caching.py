"""Everything cached changes when the data behind it does: an admin edit (a
model save, as the admin does it), an import, a submission, an account change.
Never by waiting for a timeout."""

import io
import re
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from edu.accounts.backends import user_key
from edu.courses import caching as course_caching
from quizzes import caching as quiz_caching
from quizzes import services
from quizzes.models import Attempt

from .conftest import KLONOPIN
from .factories import LessonFactory, QuestionFactory, QuizFactory


@pytest.mark.django_db
def test_an_admin_edit_of_a_lesson_changes_its_cached_page(learner_client, course_with_lessons):
    course, (lesson, following) = course_with_lessons(2)
    assert "A paragraph of text." in learner_client.get(lesson.get_absolute_url()).text
    lesson.body = "Rewritten by the author."
    lesson.save()
    assert "Rewritten by the author." in learner_client.get(lesson.get_absolute_url()).text
    following.title = "A renamed next lesson"
    following.save()
    assert "A renamed next lesson" in learner_client.get(lesson.get_absolute_url()).text
    following.published = False
    following.save()
    assert learner_client.get(following.get_absolute_url()).status_code == 404
    assert "A renamed next lesson" not in learner_client.get(course.get_absolute_url()).text


@pytest.mark.django_db
def test_quiz_and_course_edits_change_the_outline_and_the_dashboard(
    learner_client, course_with_lessons
):
    course, (lesson,) = course_with_lessons(1)
    quiz = QuizFactory(course=course, after_lesson=lesson, title="Before")
    QuestionFactory(quiz=quiz)
    learner_client.get(lesson.get_absolute_url())  # started: on the dashboard
    assert "Before" in learner_client.get(course.get_absolute_url()).text
    assert "Before" in learner_client.get(reverse("courses:dashboard")).text
    quiz.title = "After"
    quiz.save()
    course.title = "A renamed course"
    course.save()
    assert "After" in learner_client.get(course.get_absolute_url()).text
    dashboard = learner_client.get(reverse("courses:dashboard")).text
    assert "After" in dashboard and "A renamed course" in dashboard
    quiz.delete()
    assert "After" not in learner_client.get(course.get_absolute_url()).text


@pytest.mark.django_db
def test_bank_course_and_lesson_edits_change_the_cached_quiz_page(
    learner_client, course_with_lessons, django_assert_max_num_queries
):
    course, (lesson,) = course_with_lessons(1)
    quiz = QuizFactory(course=course, after_lesson=lesson, title="Before")
    QuestionFactory(quiz=quiz)

    def page(url=None):
        response = learner_client.get(url or quiz.get_absolute_url())
        # Forms carry a CSRF token masked anew on every page: left out.
        return response.status_code, re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "",
                                            response.text)

    status, text = page()
    assert status == 200 and "Before" in text and "<dd>1</dd>" in text
    with django_assert_max_num_queries(1):  # served from the cache: the attempts only
        assert page() == (200, text)
    QuestionFactory(quiz=quiz)  # the count of questions is the bank's
    assert "<dd>2</dd>" in page()[1]
    quiz.title, quiz.pass_mark = "After", 75
    quiz.save()
    text = page()[1]
    assert "After" in text and "<dd>75%</dd>" in text and "Before" not in text
    course.title = "A renamed course"  # the breadcrumb names the course
    course.save()
    assert "A renamed course" in page()[1]
    lesson.title = "A renamed lesson"  # "This quiz follows the lesson ..."
    lesson.save()
    assert "A renamed lesson" in page()[1]
    lesson.published = False  # no link to a lesson learners cannot open
    lesson.save()
    assert "follows the lesson" not in page()[1]
    old_url = quiz.get_absolute_url()
    course.slug = "a-new-slug"
    course.save()
    quiz.course.slug = course.slug
    assert page(old_url)[0] == 404 and page()[0] == 200
    course.published = False
    course.save()
    assert page()[0] == 404
    course.published = True
    course.save()
    quiz.published = False
    quiz.save()
    assert page()[0] == 404


@pytest.mark.django_db
def test_a_start_over_the_api_finds_the_quiz_in_the_cache_as_its_last_save_left_it(learner):
    from rest_framework.test import APIClient

    quiz = QuizFactory()
    QuestionFactory(quiz=quiz)
    api = APIClient()
    api.force_authenticate(learner)

    def start():
        return api.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").status_code

    assert start() == 201
    services.submit_attempt(attempt_id=Attempt.objects.get().pk, answers={})
    with CaptureQueriesContext(connection) as captured:
        assert start() == 201
    assert not [q for q in captured if 'FROM "quizzes_quiz"' in q["sql"]]  # from the cache
    Attempt.objects.all().delete()
    quiz.published = False
    quiz.save()
    assert start() == 404
    quiz.published = True
    quiz.save()
    quiz.course.published = False
    quiz.course.save()
    assert start() == 404
    assert api.post("/api/v1/quizzes/abc/attempts/").status_code == 404


@pytest.mark.django_db
def test_a_deploy_starts_new_generations_of_every_cached_page():
    keys = (quiz_caching.GENERATION_KEY, quiz_caching.PAGES_KEY, quiz_caching.ATTEMPTS_KEY,
            course_caching.GENERATION_KEY)
    before = [quiz_caching.generation(key) for key in keys]
    call_command("migrate", verbosity=0)  # post_migrate, as every deploy runs it
    after = [quiz_caching.generation(key) for key in keys]
    assert all(old != new for old, new in zip(before, after, strict=True))


@pytest.mark.django_db
def test_a_question_edit_changes_the_pool_new_attempts_draw(learner):
    quiz = QuizFactory()
    question = QuestionFactory(quiz=quiz)
    services.start_attempt(user=learner, quiz=quiz)  # the pool is now cached
    question.stem = "A stem the author corrected."
    question.save()
    choice = question.choices.first()
    choice.text = "A corrected option."
    choice.save()
    other = get_user_model().objects.create_user("grace", password="pw-xyz-123456")
    attempt, _ = services.start_attempt(user=other, quiz=quiz)
    snapshot = attempt.response_list[0].snapshot
    assert snapshot["stem"] == "A stem the author corrected."
    assert "A corrected option." in [c["text"] for c in snapshot["choices"]]


@pytest.mark.django_db
def test_an_import_changes_every_cached_page_and_pool(client, klonopin, tmp_path):
    lesson = klonopin.lessons.order_by("position")[1]
    quiz = klonopin.quizzes.get(slug="withdrawal-safety")
    page = client.get(lesson.get_absolute_url()).text
    pool = quiz_caching.cached_pool(quiz)
    assert "Clinical notes" in page and pool
    folder = tmp_path / "klonopin"
    shutil.copytree(KLONOPIN, folder)
    article = folder / "article.txt"
    article.write_text(
        article.read_text(encoding="utf-8").replace("GABA", "GABA (re-imported)", 1),
        encoding="utf-8",
    )
    bank = folder / "questions.gift"
    text = bank.read_text(encoding="utf-8")
    first_stem = quiz.questions.order_by("position").first().stem
    bank.write_text(text.replace(first_stem[:40], "RE-IMPORTED " + first_stem[:40], 1),
                    encoding="utf-8")
    call_command("load_course", str(folder), stdout=io.StringIO())
    pages = [client.get(lesson.get_absolute_url()).text
             for lesson in klonopin.lessons.filter(published=True)]
    assert any("GABA (re-imported)" in text for text in pages)
    stems = [q["snapshot"]["stem"] for q in quiz_caching.cached_pool(quiz)]
    assert any(stem.startswith("RE-IMPORTED") for stem in stems)


@pytest.mark.django_db
def test_a_submission_shows_at_once_on_the_dashboard_and_outline(learner_client, learner,
                                                                 course_with_lessons):
    course, (lesson,) = course_with_lessons(1)
    quiz = QuizFactory(course=course, after_lesson=lesson, pass_mark=50)
    QuestionFactory(quiz=quiz)
    learner_client.get(lesson.get_absolute_url())
    learner_client.get(reverse("courses:dashboard"))  # warm
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    response = attempt.response_list[0]
    key = [c["token"] for c in response.snapshot["choices"] if c["correct"]]
    services.submit_attempt(attempt_id=attempt.pk, answers={response.pk: key})
    dashboard = learner_client.get(reverse("courses:dashboard")).text
    outline = learner_client.get(course.get_absolute_url()).text
    for html in (dashboard, outline):
        assert "Passed, best 100%" in html


@pytest.mark.django_db
def test_account_changes_reach_the_cached_signed_in_user(client, learner):
    client.force_login(learner)
    assert client.get(reverse("courses:dashboard")).status_code == 200  # cached now
    learner.full_name = "Ada Renamed"
    learner.save()
    assert "Ada Renamed" in client.get(reverse("account")).text
    learner.is_active = False
    learner.save()
    assert client.get(reverse("courses:dashboard")).status_code == 302  # signed out


@pytest.mark.django_db(transaction=True)  # as a server runs: no transaction around
def test_a_login_caches_the_user_as_the_database_has_it(client, learner):
    learner.set_password("a-long-secret-phrase")
    learner.save()
    cache.delete(user_key(learner.pk))
    response = client.post(reverse("login"), {"username": learner.username,
                                              "password": "a-long-secret-phrase"})
    assert response.status_code == 302
    _, cached = cache.get(user_key(learner.pk))  # (its generation, the user)
    assert cached is not None and cached.last_login is not None
    assert cached.last_login == get_user_model().objects.get(pk=learner.pk).last_login
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("account")).status_code == 200
    user_table = get_user_model()._meta.db_table
    assert queries and not [q for q in queries if user_table in q["sql"]]  # from the cache


@pytest.mark.django_db(transaction=True)
def test_a_permission_granted_just_before_login_is_seen_after_it(client, learner):
    """What an LMS launch does: check a permission, grant it, sign in."""
    assert not learner.has_perm("courses.teach_cohort")  # (remembered on the object)
    learner.is_staff = True
    learner.save()
    learner.user_permissions.add(Permission.objects.get(codename="teach_cohort"))
    client.force_login(learner)
    assert client.get(reverse("courses:teach")).status_code == 200


@pytest.mark.django_db
def test_a_password_change_ends_sessions_whose_user_was_cached(client, learner):
    client.force_login(learner)
    assert client.get(reverse("courses:dashboard")).status_code == 200
    learner.set_password("a-new-secret-phrase")
    learner.save()
    assert client.get(reverse("courses:dashboard")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_generations_change_again_when_the_writing_transaction_commits():
    """A reader racing an import could cache the old content under the new
    generation; the second change on commit leaves that entry unread."""
    from django.db import transaction

    before = course_caching.generation(), quiz_caching.generation()
    with transaction.atomic():
        lesson = LessonFactory()
        during = course_caching.generation()
        assert during != before[0]
        QuestionFactory(quiz=QuizFactory(course=lesson.course))
        bank_during = quiz_caching.generation()
    assert course_caching.generation() not in (before[0], during)
    assert quiz_caching.generation() not in (before[1], bank_during)
    assert cache.get(course_caching.GENERATION_KEY) == course_caching.generation()


@pytest.mark.django_db
def test_a_cache_entry_of_another_shape_is_read_again_not_served(client, learner):
    """An entry left by other code under the user's key (an older version's
    plain user, say) is a miss: the user is read again, never a 500."""
    client.force_login(learner)
    for other_shape in (learner, (), ("only one",)):  # not (generation, user)
        cache.set(user_key(learner.pk), other_shape)
        assert client.get(reverse("account")).status_code == 200
        assert len(cache.get(user_key(learner.pk))) == 2
