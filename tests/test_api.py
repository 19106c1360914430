"""The REST API: the learner's steps, the instructor's reads, scoping, bad input."""

import json

import pytest
from django.core.management import call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from quizzes.models import Attempt, Choice, Quiz, Response

from .factories import CohortFactory, UserFactory, make_instructor

KEY_FIELDS = {"correct", "weight", "feedback", "general_feedback", "is_correct", "key"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def learner_api(api, learner):
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(learner)[1]}")
    return api


def keys_in(data):
    """Every dict key anywhere in a JSON document."""
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_in(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_in(v)}
    return set()


def start(api, slug="withdrawal-safety"):
    quiz = Quiz.objects.get(slug=slug)
    return api.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")


def test_schema_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.django_db
def test_docs_are_served_without_any_outside_asset(client):
    import re

    page = client.get("/api/docs/")
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:  # local static files, and the start-up script from this URL
        assert asset.startswith("/static/") or asset == "/api/docs/?script=", asset
    assert "<script>" not in html  # no inline script: the CSP forbids it
    script = client.get("/api/docs/?script=").content.decode()
    assert '"/api/schema/"' in script
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.django_db
def test_token_get_and_revoke(api, learner):
    bad = api.post("/api/v1/auth/token/", {"username": "ada", "password": "nope"}, format="json")
    assert bad.status_code == 400 and "non_field_errors" in bad.json()
    got = api.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": "correct-horse-battery"},
        format="json",
    )
    token = got.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/progress/").status_code == 200
    assert api.delete("/api/v1/auth/token/").status_code == 204
    denied = api.get("/api/v1/progress/")
    assert denied.status_code == 401 and denied.json() == {"detail": "Invalid token."}


@pytest.mark.django_db
def test_unauthenticated_requests_get_401_in_drfs_shape(api, klonopin):
    for method, url in [
        ("get", "/api/v1/courses/"), ("get", "/api/v1/lessons/"), ("get", "/api/v1/quizzes/"),
        ("get", "/api/v1/attempts/"), ("get", "/api/v1/progress/"), ("get", "/api/v1/cohorts/"),
        ("post", "/api/v1/quizzes/1/attempts/"), ("post", "/api/v1/attempts/1/submit/"),
    ]:
        response = getattr(api, method)(url)
        assert response.status_code == 401, url
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_learner_walks_through_a_quiz(learner_api, klonopin):
    courses = learner_api.get("/api/v1/courses/").json()
    assert courses["count"] == 1 and courses["results"][0]["slug"] == "klonopin"
    lessons = learner_api.get("/api/v1/lessons/?course=klonopin").json()["results"]
    assert [lesson["position"] for lesson in lessons] == list(range(1, 8))
    done = learner_api.post(f"/api/v1/lessons/{lessons[4]['id']}/complete/").json()
    assert done["completed"] is True and "<ul>" in done["body_html"]
    assert learner_api.get(f"/api/v1/lessons/{lessons[4]['id']}/").json()["completed"] is True

    started = start(learner_api)
    assert started.status_code == 201
    attempt = started.json()
    assert start(learner_api).status_code == 200
    assert start(learner_api).json()["id"] == attempt["id"]
    assert not keys_in(attempt) & KEY_FIELDS
    assert all(q["review"] is None for q in attempt["questions"])

    stored = {r.pk: r for r in Response.objects.filter(attempt_id=attempt["id"])}
    answers = [
        {"question": q["id"], "options": [c["token"] for c in stored[q["id"]].snapshot["choices"]
                                          if c["correct"]]}
        for q in attempt["questions"][:5]
    ]
    saved = learner_api.post(
        f"/api/v1/attempts/{attempt['id']}/answers/", {"answers": answers}, format="json"
    )
    assert saved.status_code == 200 and not keys_in(saved.json()) & KEY_FIELDS
    again = learner_api.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert [q["selected"] for q in again["questions"][:5]] == [
        sorted(a["options"]) for a in answers
    ]

    graded = learner_api.post(f"/api/v1/attempts/{attempt['id']}/submit/").json()
    assert graded["state"] == "submitted" and graded["score"] == "38.46" and not graded["passed"]
    review = graded["questions"][0]["review"]
    assert review["correct"] is True and review["general_feedback"]
    assert all(option["feedback"] for option in review["options"])
    assert review["lesson_url"] == "/courses/klonopin/withdrawal-and-safety-concerns/"
    assert learner_api.post(f"/api/v1/attempts/{attempt['id']}/submit/").json()["score"] == (
        "38.46"
    )

    progress = learner_api.get("/api/v1/progress/").json()
    (course,) = progress
    assert course["lessons_completed"] == 1 and course["lessons_total"] == 7
    withdrawal = next(q for q in course["quizzes"] if q["slug"] == "withdrawal-safety")
    assert withdrawal == {"slug": "withdrawal-safety", "title": "Withdrawal and tapering",
                          "attempts": 1, "best_score": "38.46", "passed": False,
                          "open_attempt": None}
    assert course["topics"] == [{"tag": "withdrawal", "label": "Withdrawal and tapering",
                                 "mastery": "38", "weak": True,
                                 "lessons": ["withdrawal-and-safety-concerns"]}]
    assert course["complete"] is False and course["certificate"] is None


@pytest.fixture
def open_attempt(learner_api, klonopin):
    data = start(learner_api).json()
    return Attempt.objects.get(pk=data["id"]), data


def snapshot_state(attempt):
    return list(attempt.responses.order_by("pk").values_list("selected", "answered_at", "checked"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "detail"),
        ('"a string"', "non_field_errors"),
        ('{"answers": "all"}', "answers"),
        ('{"answers": [{"question": "x", "options": ["x"]}]}', "answers"),
        ('{"answers": [{"question": 1, "options": ["x"], "extra": true}]}', "answers"),
        ('{"answers": [], "sneaky": 1}', "sneaky"),
        ('{"answers": [{"question": 1, "options": ["\\u0000"]}]}', "answers"),
        ('{"answers": [{"question": 1, "options": [{"id": 1}]}]}', "answers"),
        ('{"answers": [{"question": 1, "options": ["x"]}], "check": ["\\u0000"]}', "check"),
    ],
)
def test_malformed_answers_are_400_with_a_field_message(learner_api, open_attempt, body, field):
    attempt, _ = open_attempt
    before = snapshot_state(attempt)
    response = learner_api.post(
        f"/api/v1/attempts/{attempt.pk}/answers/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot_state(attempt) == before


@pytest.mark.django_db
def test_other_questions_options_and_unknown_ids_are_400(learner_api, open_attempt):
    attempt, data = open_attempt
    first, second = data["questions"][:2]
    before = snapshot_state(attempt)
    for answers in (
        [{"question": first["id"], "options": [second["options"][0]["token"]]}],
        [{"question": first["id"], "options": ["not-a-token"]}],
        [{"question": first["id"], "options": [str(Choice.objects.first().pk)]}],
        [{"question": 999999, "options": ["x"]}],
        [{"question": first["id"], "options": [first["options"][0]["token"]]},
         {"question": first["id"], "options": []}],
    ):
        response = learner_api.post(
            f"/api/v1/attempts/{attempt.pk}/answers/", {"answers": answers}, format="json"
        )
        assert response.status_code == 400 and response.json()["answers"], answers
    assert snapshot_state(attempt) == before


@pytest.mark.django_db
def test_huge_payload_is_refused(learner_api, open_attempt):
    attempt, data = open_attempt
    answers = [{"question": data["questions"][0]["id"], "options": ["x"] * 40}] * 40000
    response = learner_api.post(
        f"/api/v1/attempts/{attempt.pk}/answers/",
        json.dumps({"answers": answers}),
        content_type="application/json",
    )
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    assert snapshot_state(attempt)[0][0] == []


@pytest.mark.django_db
def test_nul_bytes_in_credentials_are_400(api, learner):
    response = api.post(
        "/api/v1/auth/token/", {"username": "ada\x00", "password": "x"}, format="json"
    )
    assert response.status_code == 400 and "username" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("ref", ["abc", "99999999", str(2**64), "-1"])
def test_ids_that_name_nothing_are_404(learner_api, open_attempt, ref):
    for url in (f"/api/v1/quizzes/{ref}/attempts/", f"/api/v1/attempts/{ref}/submit/"):
        response = learner_api.post(url)
        assert response.status_code == 404, (url, response.content)
        assert "detail" in response.json()
    answers = learner_api.post(f"/api/v1/attempts/{ref}/answers/",
                               {"answers": []}, format="json")
    assert answers.status_code in (400, 404), answers.content


@pytest.mark.django_db
def test_answering_a_submitted_attempt_is_409(learner_api, open_attempt):
    attempt, data = open_attempt
    learner_api.post(f"/api/v1/attempts/{attempt.pk}/submit/")
    response = learner_api.post(
        f"/api/v1/attempts/{attempt.pk}/answers/",
        {"answers": [{"question": data["questions"][0]["id"], "options": []}]},
        format="json",
    )
    assert response.status_code == 409 and "already been submitted" in response.json()["detail"]


@pytest.mark.django_db
def test_every_route_with_every_role(api, klonopin):
    owner = UserFactory(username="owner")
    other = UserFactory(username="other")
    teacher = make_instructor("teacher")
    outsider = make_instructor("outsider")
    cohort = CohortFactory(course=klonopin)
    cohort.instructors.add(teacher)
    cohort.learners.add(owner)
    quiz = Quiz.objects.get(slug="indications")
    api.force_authenticate(owner)
    attempt_id = start(api, "indications").json()["id"]
    lesson_id = klonopin.lessons.first().pk
    learner_routes = [
        ("get", "/api/v1/courses/"), ("get", "/api/v1/courses/klonopin/"),
        ("get", "/api/v1/lessons/"), ("get", f"/api/v1/lessons/{lesson_id}/"),
        ("post", f"/api/v1/lessons/{lesson_id}/complete/"),
        ("get", "/api/v1/quizzes/"), ("get", f"/api/v1/quizzes/{quiz.pk}/"),
        ("get", "/api/v1/attempts/"), ("get", "/api/v1/progress/"),
    ]
    owned = [
        ("get", f"/api/v1/attempts/{attempt_id}/"),
        ("post", f"/api/v1/attempts/{attempt_id}/answers/"),
        ("post", f"/api/v1/attempts/{attempt_id}/submit/"),
    ]
    instructor_routes = [
        ("get", "/api/v1/cohorts/"), ("get", f"/api/v1/cohorts/{cohort.pk}/"),
        ("get", f"/api/v1/cohorts/{cohort.pk}/gradebook/"),
        ("get", f"/api/v1/cohorts/{cohort.pk}/quizzes/{quiz.pk}/item-analysis/"),
    ]

    def status(user, method, url):
        api.force_authenticate(user)
        body = {"answers": [{"question": 1, "options": []}]} if "answers" in url else None
        return getattr(api, method)(url, body, format="json").status_code

    for method, url in learner_routes:
        for user in (owner, other, teacher):
            assert status(user, method, url) == 200, (user, url)
    for method, url in owned:
        assert status(other, method, url) == 404, url
        assert status(teacher, method, url) == 404, url
    for method, url in instructor_routes:
        assert status(owner, method, url) == 403, url
        expected_outsider = 200 if url == "/api/v1/cohorts/" else 404
        assert status(outsider, method, url) == expected_outsider, url
        assert status(teacher, method, url) == 200, url
    api.force_authenticate(outsider)
    assert api.get("/api/v1/cohorts/").json()["count"] == 0
    assert Attempt.objects.get(pk=attempt_id).state == "in_progress"


@pytest.mark.django_db
def test_instructor_reads_gradebook_and_item_analysis(api, klonopin):
    teacher = make_instructor("teacher")
    cohort = CohortFactory(course=klonopin)
    cohort.instructors.add(teacher)
    quiz = Quiz.objects.get(slug="indications")
    from .factories import pass_quiz

    for n in range(3):
        learner = UserFactory(username=f"g{n}", full_name=f"=cmd{n}")
        cohort.learners.add(learner)
        pass_quiz(learner, quiz)
    api.force_authenticate(teacher)
    book = api.get(f"/api/v1/cohorts/{cohort.pk}/gradebook/?sort=-progress").json()
    assert book["count"] == 3
    row = book["results"][0]
    indications = next(q for q in row["quizzes"] if q["quiz"] == "indications")
    assert indications == {"quiz": "indications", "best_score": "100.00", "passed": True,
                           "attempts": 1}
    analysis = api.get(f"/api/v1/cohorts/{cohort.pk}/quizzes/{quiz.pk}/item-analysis/").json()
    assert analysis["first_attempts"] == 3 and len(analysis["items"]) == 13
    assert analysis["items"][0]["facility"] == 100.0
    assert analysis["items"][0]["flags"] == []  # 3 first attempts: too few to judge


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [2, 30])
def test_list_endpoints_run_constant_queries(api, django_assert_max_num_queries, rows, klonopin):
    from .factories import pass_quiz

    teacher = make_instructor("teacher")
    cohort = CohortFactory(course=klonopin)
    cohort.instructors.add(teacher)
    learner = UserFactory(username="many")
    quiz = Quiz.objects.get(slug="indications")
    for n in range(rows):
        user = UserFactory(username=f"row{n}")
        cohort.learners.add(user)
        pass_quiz(user, quiz)
    for _ in range(rows):
        attempt = pass_quiz(learner, quiz)
    api.force_authenticate(learner)
    for url in ("/api/v1/courses/", "/api/v1/lessons/", "/api/v1/quizzes/",
                "/api/v1/attempts/", "/api/v1/progress/"):
        with django_assert_max_num_queries(6):
            response = api.get(url)
        assert response.status_code == 200, url
    assert api.get("/api/v1/attempts/").json()["count"] == rows
    with django_assert_max_num_queries(4):
        assert api.get(f"/api/v1/attempts/{attempt.pk}/").status_code == 200
    api.force_authenticate(teacher)
    with django_assert_max_num_queries(10):  # the permission check reads 2 tables
        assert api.get(f"/api/v1/cohorts/{cohort.pk}/gradebook/").json()["count"] == rows
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/cohorts/").status_code == 200


@pytest.mark.django_db
def test_join_a_class_and_claim_the_certificate(learner_api, learner, klonopin):
    from edu.courses.models import Certificate

    from .test_instructors import complete_course

    cohort = CohortFactory(course=klonopin, name="API class")
    bad = learner_api.post("/api/v1/classes/join/", {"code": "NOPE"}, format="json")
    assert bad.status_code == 400 and "not valid" in bad.json()["code"][0]
    extra = learner_api.post("/api/v1/classes/join/", {"code": "x", "cohort": 1}, format="json")
    assert extra.status_code == 400 and extra.json()["cohort"] == ["Unknown field."]
    joined = learner_api.post("/api/v1/classes/join/", {"code": cohort.join_code.lower()},
                              format="json")
    assert joined.status_code == 200
    assert joined.json() == {"cohort": "API class", "course": "klonopin"}
    assert cohort.learners.filter(pk=learner.pk).exists()
    progress = learner_api.get("/api/v1/progress/").json()[0]
    assert progress["classes"] == [{"name": "API class", "instructors": []}]
    assert progress["next_step"]["kind"] == "lesson"

    url = "/api/v1/courses/klonopin/certificate/"
    early = learner_api.post(url)
    assert early.status_code == 400 and "Complete every lesson" in early.json()["detail"]
    assert learner_api.get(url).status_code == 404
    complete_course(learner, klonopin)
    claimed = learner_api.post(url)
    assert claimed.status_code == 201
    body = claimed.json()
    certificate = Certificate.objects.get(user=learner)
    assert body["code"] == certificate.code and body["revoked"] is False
    assert body["verify_url"].endswith(f"/verify/{certificate.code}/")
    assert body["final_score"] == "100.00"
    assert learner_api.post(url).status_code == 200  # the same one again
    assert learner_api.get(url).json()["code"] == certificate.code
    assert learner_api.get("/api/v1/progress/").json()[0]["next_step"]["kind"] == "certificate"


@pytest.mark.django_db
def test_answer_errors_name_the_question_the_request_sent(learner_api, open_attempt):
    attempt, data = open_attempt
    first = data["questions"][0]
    response = learner_api.post(
        f"/api/v1/attempts/{attempt.pk}/answers/",
        {"answers": [{"question": first["id"], "options": ["no-such-token"]}]},
        format="json",
    )
    message = response.json()["answers"][0]
    assert f"(id {first['id']})" in message and "no-such-token" in message
