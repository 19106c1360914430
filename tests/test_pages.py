"""Learner pages: what they show, who may use them, and how many queries they cost."""

from datetime import timedelta

import pytest
from django.urls import reverse

from edu.courses.models import LessonProgress

from .factories import LessonFactory


def lesson_url(course_slug, slug):
    return reverse("courses:lesson", kwargs={"course_slug": course_slug, "slug": slug})


DISCLAIMER = "Educational use only, not medical advice."


@pytest.mark.django_db
def test_every_seed_lesson_answers_with_its_bullets_as_list_items(client, klonopin):
    expected_items = {
        "medical-uses-of-klonopin": 4,
        "the-risks-of-dependence": 5,
        "withdrawal-and-safety-concerns": 4,
    }
    for lesson in klonopin.lessons.all():
        response = client.get(lesson.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        body = html.split('<section class="lesson-body', 1)[1].split("</section>", 1)[0]
        assert body.count("<li>") == expected_items.get(lesson.slug, 0)
        assert body.count("<ul>") == (1 if lesson.slug in expected_items else 0)
        assert html.count("<h1") == 1
        assert DISCLAIMER in html
    withdrawal = client.get(lesson_url("klonopin", "withdrawal-and-safety-concerns"))
    assert "never recommended to stop Klonopin suddenly" in withdrawal.content.decode()


@pytest.mark.django_db
def test_home_and_outline_list_the_course_and_its_lessons(client, klonopin):
    home = client.get(reverse("courses:home")).content.decode()
    assert klonopin.title in home and "7 lessons" in home
    outline = client.get(klonopin.get_absolute_url()).content.decode()
    assert outline.index("How Klonopin Works") < outline.index("Final Thoughts")
    assert "Log in</a> or" in outline  # anonymous: invited to sign in, no progress bar
    assert "<progress" not in outline


@pytest.mark.django_db
def test_lesson_page_has_previous_and_next(client, klonopin):
    html = client.get(lesson_url("klonopin", "medical-uses-of-klonopin")).content.decode()
    # The path: each lesson, then its quiz.
    assert 'rel="prev" href="/courses/klonopin/quizzes/how-clonazepam-works/"' in html
    assert 'rel="next" href="/courses/klonopin/quizzes/indications/"' in html
    assert "This lesson's quiz: <a href=\"/courses/klonopin/quizzes/indications/\">" in html
    assert "Lesson 3 of 7" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/courses/no-such-course/",
        "/courses/klonopin/no-such-lesson/",
        "/courses/no-such-course/introduction/",
    ],
)
def test_unknown_course_or_lesson_is_a_404_in_the_site_layout(client, klonopin, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert DISCLAIMER in html


@pytest.mark.django_db
def test_unpublished_lessons_and_courses_are_hidden(client, klonopin):
    lesson = klonopin.lessons.get(slug="final-thoughts")
    lesson.published = False
    lesson.save()
    assert client.get(lesson.get_absolute_url()).status_code == 404
    assert "Final Thoughts" not in client.get(klonopin.get_absolute_url()).content.decode()
    klonopin.published = False
    klonopin.save()
    assert client.get(klonopin.get_absolute_url()).status_code == 404
    assert client.get(lesson_url("klonopin", "introduction")).status_code == 404


@pytest.mark.django_db
def test_viewing_records_progress_only_for_a_signed_in_learner(client, klonopin, learner):
    url = lesson_url("klonopin", "introduction")
    client.get(url)
    assert not LessonProgress.objects.exists()
    client.force_login(learner)
    client.get(url)
    first = LessonProgress.objects.get(user=learner)
    client.get(url)
    again = LessonProgress.objects.get(user=learner)
    assert again.first_viewed_at == first.first_viewed_at
    assert again.last_viewed_at == first.last_viewed_at  # a recent view costs no write
    assert again.completed_at is None
    # Once the last view is older than a few minutes, a view refreshes it.
    LessonProgress.objects.filter(pk=first.pk).update(
        first_viewed_at=first.first_viewed_at - timedelta(minutes=6),
        last_viewed_at=first.last_viewed_at - timedelta(minutes=6),
    )
    client.get(url)
    later = LessonProgress.objects.get(user=learner)
    assert later.last_viewed_at > first.last_viewed_at - timedelta(minutes=6)


@pytest.mark.django_db
def test_a_recent_lesson_view_writes_nothing(learner_client, klonopin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = lesson_url("klonopin", "introduction")
    learner_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert learner_client.get(url).status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE")]
    assert writes == []


@pytest.mark.django_db
def test_marking_complete_twice_is_harmless_and_moves_the_progress_bar(
    learner_client, klonopin, learner
):
    complete = reverse(
        "courses:lesson_complete", kwargs={"course_slug": "klonopin", "slug": "introduction"}
    )
    response = learner_client.post(complete)
    assert response.status_code == 302
    # It moves on to the next step of the path.
    assert response["Location"] == lesson_url("klonopin", "how-klonopin-works")
    first = LessonProgress.objects.get(user=learner).completed_at
    learner_client.post(complete)
    assert LessonProgress.objects.get(user=learner).completed_at == first
    outline = learner_client.get(klonopin.get_absolute_url()).content.decode()
    assert '<progress id="course-progress" max="7" value="1">' in outline
    assert "1 of 7 lessons complete" in outline
    page = learner_client.get(lesson_url("klonopin", "introduction")).content.decode()
    assert "You completed this lesson." in page
    assert "Mark as complete" not in page


@pytest.mark.django_db
def test_completing_needs_login_and_post(client, klonopin):
    complete = reverse(
        "courses:lesson_complete", kwargs={"course_slug": "klonopin", "slug": "introduction"}
    )
    response = client.post(complete)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(complete).status_code == 405
    assert not LessonProgress.objects.exists()


@pytest.mark.django_db
def test_dashboard_shows_progress_and_continue_link(learner_client, klonopin, learner):
    assert "You have not started a course yet" in learner_client.get(
        reverse("courses:dashboard")
    ).content.decode()
    for slug in ("introduction", "how-klonopin-works"):
        learner_client.post(
            reverse("courses:lesson_complete", kwargs={"course_slug": "klonopin", "slug": slug})
        )
    learner_client.get(lesson_url("klonopin", "the-risks-of-dependence"))  # viewed only
    html = learner_client.get(reverse("courses:dashboard")).content.decode()
    assert "2 of 7 lessons complete" in html
    # The one next step follows the path: the quiz after lesson 2 comes before lesson 3.
    assert 'href="/courses/klonopin/quizzes/how-clonazepam-works/">Next step' in html
    assert "Quiz: How clonazepam works (GABA)</a>" in html


@pytest.mark.django_db
def test_dashboard_needs_login(client):
    response = client.get(reverse("courses:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


def _grow(course, n):
    start = course.lessons.count()
    for i in range(n):
        LessonFactory(course=course, position=start + i + 1)


@pytest.mark.django_db
@pytest.mark.parametrize("extra_lessons", [0, 40])
def test_lesson_page_query_count_is_constant(
    learner_client, course_with_lessons, django_assert_max_num_queries, extra_lessons
):
    course, lessons = course_with_lessons(3)
    _grow(course, extra_lessons)
    # Cold caches: the user, the catalogue (3) and the lesson are read once;
    # then the learner's progress and the view's upsert. Warm: see test_speed.
    with django_assert_max_num_queries(7):
        response = learner_client.get(lessons[1].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("extra_lessons", [0, 40])
def test_outline_and_dashboard_query_counts_are_constant(
    learner_client, learner, course_with_lessons, django_assert_max_num_queries, extra_lessons
):
    from edu.courses.services import complete_lesson

    courses = []
    for _ in range(3):
        course, lessons = course_with_lessons(2)
        _grow(course, extra_lessons)
        for lesson in course.lessons.all():
            complete_lesson(user=learner, lesson=lesson)
        courses.append(course)
    # session, user, courses, quizzes with results, topic mastery, certificates,
    # classes (+ the lessons on the outline)
    with django_assert_max_num_queries(7):
        assert learner_client.get(reverse("courses:dashboard")).status_code == 200
    with django_assert_max_num_queries(7):
        assert learner_client.get(courses[0].get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(3):
        assert learner_client.get(reverse("courses:home")).status_code == 200


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_the_outline_and_dashboard_say_where_the_learner_stands_in_each_quiz(
    learner_client, learner, course_with_lessons
):
    from edu.courses.services import complete_lesson
    from quizzes import services

    from .factories import QuestionFactory, QuizFactory, pass_quiz

    course, lessons = course_with_lessons(2, title="Standing course")
    complete_lesson(user=learner, lesson=lessons[0])  # (the dashboard lists courses begun)
    passed, started, tried, untouched = (
        QuizFactory(course=course, title=title, position=n)
        for n, title in enumerate(["Passed", "Started", "Tried <b>", "Untouched"], start=1)
    )
    for quiz in (passed, started, tried, untouched):
        QuestionFactory(quiz=quiz)
    pass_quiz(learner, passed)
    for quiz in (started, tried):  # a first attempt with no answer: 0%
        attempt, _ = services.start_attempt(user=learner, quiz=quiz)
        services.submit_attempt(attempt_id=attempt.pk, answers={})
    resume, _ = services.start_attempt(user=learner, quiz=started)
    for page in (course.get_absolute_url(), reverse("courses:dashboard")):
        html = learner_client.get(page).content.decode()
        assert "Passed, best 100%" in html
        assert (f'In progress</span> <a href="/attempts/{resume.pk}/">Resume'
                '<span class="visually-hidden"> Started</span></a>') in html
        assert "(best so far 0%)" in html
        assert "Best 0% after 1 attempt, not passed yet" in html
        assert ">Quiz: Tried &lt;b&gt;</a>" in html and "<b>" not in html
        assert 'Quiz: Untouched</a>\n<span class="state">Not started</span>' in html
    learner_client.logout()
    outline = learner_client.get(course.get_absolute_url()).content.decode()
    assert "Quiz: Untouched</a></li>" in outline and '"state">Not started' not in outline
