"""Issue 14's query ceilings, on warm caches (as a server runs), and flat in
the number of learners, lessons and questions. CPU and throughput belong in
`make bench`, never in a test."""

import json

import pytest
from django.urls import reverse

from quizzes import services

from .factories import LessonFactory, QuestionFactory, QuizFactory, UserFactory


def _grow(course, lessons, learners):
    start = course.lessons.count()
    for i in range(lessons):
        LessonFactory(course=course, position=start + i + 1)
    for _ in range(learners):
        UserFactory()


@pytest.fixture
def world(db, course_with_lessons):
    def make(*, lessons, learners, questions):
        course, made = course_with_lessons(3, published=True)
        _grow(course, lessons, learners)
        quiz = QuizFactory(course=course, after_lesson=made[0], shuffle_choices=True)
        for _ in range(3 + questions):
            QuestionFactory(quiz=quiz)
        return course, made, quiz

    return make


SIZES = [
    {"lessons": 0, "learners": 0, "questions": 0},
    {"lessons": 30, "learners": 40, "questions": 25},
]


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_read_pages_stay_under_their_query_ceilings(
    learner_client, learner, world, django_assert_max_num_queries, size
):
    course, lessons, quiz = world(**size)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    pages = {
        lessons[1].get_absolute_url(): 3,  # lesson: progress (+ at most one upsert)
        reverse("courses:dashboard"): 4,  # progress, classes, attempts, certificates
        course.get_absolute_url(): 3,  # progress, attempts, certificate
        quiz.get_absolute_url(): 1,  # the attempts (the quiz and its header are cached)
        attempt.get_absolute_url(): 1,  # the attempt with its quiz and its answers (the
        # questions' markup is cached)
    }
    for url in pages:
        assert learner_client.get(url).status_code == 200  # warm the caches
    for url, ceiling in pages.items():
        with django_assert_max_num_queries(ceiling):
            assert learner_client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_the_write_path_stays_under_its_query_ceilings(
    learner_client, learner, world, django_assert_max_num_queries, size
):
    _, _, quiz = world(**size)
    # Warm, as a running site is: the signed-in user, the question pool and
    # what the learner's submit looks up are cached after a first attempt.
    first = learner_client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()
    learner_client.post(f"/api/v1/attempts/{first['id']}/submit/")
    with django_assert_max_num_queries(5):  # (the quiz and its pool come from the cache)
        started = learner_client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert started.status_code == 201
    attempt = started.json()
    question = attempt["questions"][0]
    body = {"answers": [{"question": question["id"],
                         "options": [question["options"][0]["token"]]}]}
    with django_assert_max_num_queries(4):
        answered = learner_client.post(
            f"/api/v1/attempts/{attempt['id']}/answers/",
            data=json.dumps(body), content_type="application/json",
        )
    assert answered.status_code == 200
    # Only what changed comes back: the question answered, as saved.
    assert [q["id"] for q in answered.json()["questions"]] == [question["id"]]
    assert answered.json()["questions"][0]["selected"] == [question["options"][0]["token"]]
    with django_assert_max_num_queries(6):
        submitted = learner_client.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"

    # The form's submit: every answer and the grade.
    attempt = learner_client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()
    form = {"action": "submit", "shown": [str(q["id"]) for q in attempt["questions"]]}
    form.update({f"r{q['id']}": q["options"][0]["token"] for q in attempt["questions"]})
    with django_assert_max_num_queries(6):
        page = learner_client.post(reverse("quizzes:attempt", args=[attempt["id"]]), form)
    assert page.status_code == 302


@pytest.mark.django_db
def test_submit_stores_raw_points_and_topic_points(learner, world):
    _, _, quiz = world(lessons=0, learners=0, questions=0)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    responses = list(attempt.responses.order_by("position"))
    key = {r.pk: [c["token"] for c in r.snapshot["choices"] if c["correct"]] for r in responses}
    answers = {responses[0].pk: key[responses[0].pk], responses[1].pk: key[responses[1].pk]}
    graded, _ = services.submit_attempt(attempt_id=attempt.pk, answers=answers)
    graded.refresh_from_db()
    assert graded.points == 2
    tags = {tag for r in responses for tag in r.snapshot["tags"] or ["general"]}
    assert set(graded.topics) == tags
    earned = sum(float(points) for points, _, _ in graded.topics.values())
    assert earned >= 2


@pytest.mark.django_db
def test_answers_never_change_a_question_checked_meanwhile(learner):
    quiz = QuizFactory(feedback="immediate")
    QuestionFactory(quiz=quiz)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    response = attempt.responses.get()
    tokens = [c["token"] for c in response.snapshot["choices"]]
    services.save_answers(attempt_id=attempt.pk, answers={response.pk: tokens[:1]},
                          check=[response.pk])
    with pytest.raises(services.QuizError, match="checked"):
        services.save_answers(attempt_id=attempt.pk, answers={response.pk: tokens[1:2]})
    response.refresh_from_db()
    assert response.checked and len(response.selected) == 1
