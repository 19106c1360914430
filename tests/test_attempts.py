"""Taking a quiz: start, resume, save, submit, review, and what must never leak."""

import random
import re
from collections import Counter

import pytest
from django.urls import reverse

from quizzes import services
from quizzes.models import Attempt, BlueprintEntry, Choice, Response

from .factories import QuestionFactory, QuizFactory, UserFactory

KEY_MARKERS = ("FEEDBACK-", "GENERAL-RATIONALE", "correct", "weight", "is_correct", "Rationale")


@pytest.fixture
def quiz(db):
    quiz = QuizFactory(pass_mark=50)
    for _ in range(4):
        QuestionFactory(quiz=quiz)
    return quiz


def choice_ids(response):
    """The options as the learner's page names them: per-attempt tokens."""
    return [c["token"] for c in response.snapshot["choices"]]


def key_of(response):
    return [c["token"] for c in response.snapshot["choices"] if c["correct"]]


def key_ids(response):
    return [c["id"] for c in response.snapshot["choices"] if c["correct"]]


def post_answers(client, attempt, picks, action="save", **extra):
    data = {"shown": [str(r) for r in picks], "action": action, **extra}
    for response_id, ids in picks.items():
        data[f"r{response_id}"] = [str(i) for i in ids]
    return client.post(reverse("quizzes:attempt", args=[attempt.pk]), data)


@pytest.mark.django_db
def test_starting_twice_gives_back_the_open_attempt(quiz, learner):
    first, created = services.start_attempt(user=learner, quiz=quiz)
    again, created_again = services.start_attempt(user=learner, quiz=quiz)
    assert created and not created_again and again.pk == first.pk
    assert Attempt.objects.count() == 1 and first.responses.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize("reported", ["as the database gives them", "reversed"])
def test_a_new_attempts_questions_carry_the_ids_of_their_rows(learner, monkeypatch, reported):
    """A start writes its questions in one statement and keeps them in memory
    for the page that follows: each must carry the id of its own row (matched
    by position, whatever order the database reports the new rows in)."""
    from django.db.backends.utils import CursorWrapper

    if reported == "reversed":  # the rows an INSERT … RETURNING gives back, reversed
        execute = CursorWrapper.execute

        def noted(self, sql, params=None):
            self.returning = "RETURNING" in sql
            return execute(self, sql, params)

        def fetchall(self):
            rows = self.cursor.fetchall()
            return rows[::-1] if getattr(self, "returning", False) else rows

        monkeypatch.setattr(CursorWrapper, "execute", noted)
        monkeypatch.setattr(CursorWrapper, "fetchall", fetchall, raising=False)
    quiz = QuizFactory(shuffle_questions=True, shuffle_choices=True)
    for _ in range(6):
        QuestionFactory(quiz=quiz)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz, rng=random.Random(5))
    in_memory = [(r.pk, r.position, r.question_id, r.snapshot) for r in attempt.response_list]
    stored = [(r.pk, r.position, r.question_id, r.snapshot)
              for r in Response.objects.filter(attempt=attempt)]
    assert sorted(in_memory) == sorted(stored) and len(stored) == 6


@pytest.mark.django_db
def test_shuffled_order_is_kept_on_resume(learner):
    quiz = QuizFactory(shuffle_questions=True, shuffle_choices=True)
    for _ in range(6):
        QuestionFactory(quiz=quiz)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz, rng=random.Random(3))
    def shown_order(attempt):
        return [
            (r.question_id, [c["id"] for c in r.snapshot["choices"]])
            for r in attempt.responses.order_by("position")
        ]

    shown = shown_order(attempt)
    in_bank = [(q.pk, [c.pk for c in q.choices.all()]) for q in quiz.questions.all()]
    assert shown != in_bank  # seed 3 reorders both questions and options
    assert sorted(q for q, _ in shown) == sorted(q for q, _ in in_bank)
    resumed, _ = services.start_attempt(user=learner, quiz=quiz, rng=random.Random(99))
    assert shown_order(resumed) == shown


@pytest.mark.django_db
def test_a_blueprint_draws_so_many_from_each_quiz(learner, quiz):
    other = QuizFactory(course=quiz.course)
    for _ in range(4):
        QuestionFactory(quiz=other)
    final = QuizFactory(course=quiz.course)
    QuestionFactory(quiz=final)
    BlueprintEntry.objects.create(quiz=final, source=quiz, count=2)
    BlueprintEntry.objects.create(quiz=final, source=other, count=3)
    BlueprintEntry.objects.create(quiz=final, source=final, count=1)
    attempt, _ = services.start_attempt(user=learner, quiz=final, rng=random.Random(1))
    drawn = Counter(attempt.responses.values_list("question__quiz_id", flat=True))
    assert drawn == {quiz.pk: 2, other.pk: 3, final.pk: 1}


@pytest.mark.django_db
def test_editing_a_question_later_never_changes_a_past_attempt(client, quiz, learner):
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    first = attempt.responses.order_by("position").first()
    services.submit_attempt(attempt_id=attempt.pk, answers={first.pk: key_of(first)})
    question = first.question
    question.stem = "EDITED STEM"
    question.save()
    Choice.objects.filter(question=question).update(is_correct=False, feedback="EDITED")
    question.choices.first().delete()
    html = client.get(reverse("quizzes:review", args=[attempt.pk])).content.decode()
    assert "EDITED" not in html and first.snapshot["stem"] in html
    attempt.refresh_from_db()
    assert attempt.score == 25 and Response.objects.get(pk=first.pk).score == 1


@pytest.mark.django_db
def test_submit_scores_on_the_server_and_twice_grades_once(quiz, learner):
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    responses = list(attempt.responses.order_by("position"))
    answers = {responses[0].pk: key_of(responses[0]), responses[1].pk: key_of(responses[1])}
    wrong = [i for i in choice_ids(responses[2]) if i not in key_of(responses[2])][:1]
    answers[responses[2].pk] = wrong
    graded, now = services.submit_attempt(attempt_id=attempt.pk, answers=answers)
    assert now and graded.score == 50 and graded.passed is True
    again, now_again = services.submit_attempt(attempt_id=attempt.pk)
    assert not now_again and again.score == 50 and again.submitted_at == graded.submitted_at
    assert [r.score for r in attempt.responses.order_by("position")] == [1, 1, 0, 0]


@pytest.mark.django_db
def test_attempts_allowed_is_enforced(learner):
    quiz = QuizFactory(attempts_allowed=1)
    QuestionFactory(quiz=quiz)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    services.submit_attempt(attempt_id=attempt.pk)
    with pytest.raises(services.AttemptsExhausted):
        services.start_attempt(user=learner, quiz=quiz)
    assert Attempt.objects.count() == 1


def _first(attempt):
    return attempt.responses.order_by("position").first()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_answers", "status", "message"),
    [
        (lambda r, o: {r.pk: [choice_ids(o)[0]]}, 400, "is not one of its options"),
        (lambda r, o: {r.pk: ["999999"]}, 400, "is not one of its options"),
        (lambda r, o: {r.pk: ["abc"]}, 400, "&#x27;abc&#x27; is not one of its options"),
        (lambda r, o: {r.pk: [str(key_ids(r)[0])]}, 400, "is not one of its options"),
        (lambda r, o: {"x1": [choice_ids(r)[0]]}, 400, "is not a question of this attempt"),
        (lambda r, o: {o.pk + 1000: [choice_ids(r)[0]]}, 400, "is not a question"),
        (lambda r, o: {r.pk: choice_ids(r)[:2]}, 400, "choose only one option"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    client, quiz, learner, make_answers, status, message
):
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    response, other = list(attempt.responses.order_by("position"))[:2]
    post_answers(client, attempt, {response.pk: key_of(response)})  # a valid saved answer
    before = list(attempt.responses.values_list("pk", "selected", "answered_at"))
    result = post_answers(client, attempt, make_answers(response, other))
    assert result.status_code == status
    assert message in result.content.decode()
    assert "Nothing was saved." in result.content.decode()
    assert list(attempt.responses.values_list("pk", "selected", "answered_at")) == before


@pytest.mark.django_db
def test_answering_a_submitted_attempt_is_refused(client, quiz, learner):
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    services.submit_attempt(attempt_id=attempt.pk)
    first = _first(attempt)
    result = post_answers(client, attempt, {first.pk: key_of(first)})
    assert result.status_code == 409
    assert "already been submitted" in result.content.decode()
    assert Response.objects.get(pk=first.pk).selected == []
    json = client.post(
        reverse("quizzes:attempt", args=[attempt.pk]),
        {"shown": [first.pk], f"r{first.pk}": key_of(first)},
        headers={"accept": "application/json"},
    )
    assert json.status_code == 409 and "already been submitted" in json.json()["detail"]


@pytest.mark.django_db
def test_another_learners_attempt_does_not_exist_for_you(client, quiz, learner):
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    first = _first(attempt)
    client.force_login(UserFactory(username="mallory"))
    for url in (
        reverse("quizzes:attempt", args=[attempt.pk]),
        reverse("quizzes:review", args=[attempt.pk]),
    ):
        assert client.get(url).status_code == 404
    assert post_answers(client, attempt, {first.pk: key_of(first)}).status_code == 404
    assert post_answers(client, attempt, {}, action="submit").status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == "in_progress" and Response.objects.get(pk=first.pk).selected == []


@pytest.mark.django_db
@pytest.mark.parametrize("questions", [4, 101])  # the prepared read, and past its 100 ids
def test_nobody_answers_in_another_learners_attempt(learner, questions):
    quiz = QuizFactory()
    for _ in range(questions):
        QuestionFactory(quiz=quiz)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    first = _first(attempt)
    services.save_answers(attempt_id=attempt.pk, user=learner,
                          answers={first.pk: [choice_ids(first)[0]]})
    intruder = UserFactory()
    with pytest.raises(services.AttemptNotFound):
        services.save_answers(attempt_id=attempt.pk, user=intruder,
                              answers={r.pk: [] for r in attempt.responses.all()})
    first.refresh_from_db()
    assert first.selected == [first.snapshot["choices"][0]["id"]]  # untouched


@pytest.mark.django_db
def test_quiz_pages_need_login_to_take(client, quiz):
    start = reverse("quizzes:start", args=[quiz.course.slug, quiz.slug])
    response = client.post(start)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Attempt.objects.exists()
    assert client.get(quiz.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_the_key_never_reaches_an_in_progress_page(client, learner):
    quiz = QuizFactory()
    QuestionFactory(quiz=quiz)
    QuestionFactory(quiz=quiz, kind="multiple", options=[("A", True), ("B", True), ("C", False)])
    client.force_login(learner)
    pages = [client.get(quiz.get_absolute_url())]
    start = client.post(reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]))
    attempt = Attempt.objects.get()
    pages.append(client.get(start["Location"]))
    first = _first(attempt)
    pages.append(post_answers(client, attempt, {first.pk: [choice_ids(first)[1]]}))
    pages.append(client.get(reverse("quizzes:attempt", args=[attempt.pk])))
    pages.append(post_answers(client, attempt, {first.pk: ["nope"]}))  # the error page too
    pages.append(client.get(quiz.course.get_absolute_url()))
    for page in pages:
        html = page.content.decode()
        for marker in KEY_MARKERS:
            assert marker not in html, (page.request["PATH_INFO"], marker)
    # Options appear as plain labels; their values are the attempt's random tokens.
    html = pages[3].content.decode()
    values = re.findall(r'name="r\d+" id="r\d+-\d+" value="([^"]+)"', html)
    assert sorted(values) == sorted(t for r in attempt.responses.all() for t in choice_ids(r))


@pytest.mark.django_db
def test_option_text_is_escaped_and_a_saved_answer_stays_ticked(client, learner):
    quiz = QuizFactory()
    QuestionFactory(quiz=quiz, options=[('<b>Dose</b> & "taper"', True), ("x<y", False)])
    client.force_login(learner)
    start = client.post(reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]))
    attempt = Attempt.objects.get()
    first = _first(attempt)
    picked = choice_ids(first)[1]
    post_answers(client, attempt, {first.pk: [picked]})
    html = client.get(start["Location"]).content.decode()
    assert "&lt;b&gt;Dose&lt;/b&gt; &amp; &quot;taper&quot;-text" in html  # (factory's "-text")
    assert "x&lt;y-text" in html and "<b>Dose" not in html
    ticked = re.findall(r'<input type="radio" name="r\d+" id="r\d+-\d+" value="([^"]+)" checked>',
                        html)
    assert ticked == [picked]


@pytest.mark.django_db
def test_review_shows_score_rationales_and_lessons_to_review(client, learner):
    from .factories import LessonFactory

    quiz = QuizFactory(pass_mark=80)
    lesson = LessonFactory(course=quiz.course, title="The GABA lesson")
    QuestionFactory(quiz=quiz, tags=["gaba"], lesson=lesson)
    QuestionFactory(quiz=quiz, tags=["gaba"], lesson=lesson)
    QuestionFactory(quiz=quiz, tags=["uses"])
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    responses = {r.question.tags[0] + str(r.position): r for r in attempt.responses.all()}
    answers = {r.pk: key_of(r) for r in responses.values() if r.question.tags == ["uses"]}
    response = post_answers(client, attempt, answers, action="submit")
    assert response.status_code == 302
    assert response["Location"] == reverse("quizzes:review", args=[attempt.pk])
    html = client.get(response["Location"]).content.decode()
    assert "Your score: 33%, not passed" in html
    assert "GENERAL-RATIONALE" in html and "FEEDBACK-B" in html
    assert html.count("(correct answer)") == 3
    assert "Question 1: not answered" in html or "Question 2: not answered" in html
    weak_row = re.search(r"<th scope=\"row\">Gaba</th>.*?</tr>", html, re.S).group(0)
    assert "0%" in weak_row and "review this topic" in weak_row and "The GABA lesson" in weak_row
    assert f'href="{lesson.get_absolute_url()}"' in html
    # Submitting again shows the same graded attempt.
    again = post_answers(client, attempt, {}, action="submit")
    assert again.status_code == 302 and again["Location"].endswith("/review/")


@pytest.mark.django_db
def test_immediate_feedback_locks_and_reveals_only_the_checked_question(client, learner):
    quiz = QuizFactory(feedback="immediate")
    QuestionFactory(quiz=quiz)
    QuestionFactory(quiz=quiz)
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    first, second = attempt.responses.order_by("position")
    page = post_answers(client, attempt, {first.pk: key_of(first), second.pk: []},
                        check=str(first.pk))
    assert page.status_code == 302
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    checked_part, rest = html.split(f'id="q{second.pk}"', 1)
    assert "Correct." in checked_part and "FEEDBACK-A" in checked_part
    assert "FEEDBACK" not in rest and "(correct answer)" not in rest
    other = [i for i in choice_ids(first) if i not in key_of(first)][0]
    changed = post_answers(client, attempt, {first.pk: [other]})
    assert changed.status_code == 400 and "can no longer change" in changed.content.decode()


@pytest.mark.django_db
def test_checking_is_refused_when_feedback_comes_after_submit(client, quiz, learner):
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    first = _first(attempt)
    result = post_answers(client, attempt, {first.pk: key_of(first)}, check=str(first.pk))
    assert result.status_code == 400 and "after submission only" in result.content.decode()
    assert Response.objects.get(pk=first.pk).checked is False


@pytest.mark.django_db
def test_autosave_answers_json(client, quiz, learner):
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    first = _first(attempt)
    result = client.post(
        reverse("quizzes:attempt", args=[attempt.pk]),
        {"shown": [first.pk], f"r{first.pk}": key_of(first), "action": "save"},
        headers={"accept": "application/json"},
    )
    assert result.status_code == 200 and result.json() == {"saved": True}
    assert Response.objects.get(pk=first.pk).selected == key_ids(first)


@pytest.mark.django_db
def test_outline_and_dashboard_show_quiz_results_and_mastery(client, klonopin, learner):
    from quizzes.models import Quiz

    client.force_login(learner)
    client.get(klonopin.lessons.first().get_absolute_url())  # starts the course
    quiz = Quiz.objects.get(slug="withdrawal-safety")
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    answers = {r.pk: key_of(r) for r in attempt.responses.all()[:4]}
    services.submit_attempt(attempt_id=attempt.pk, answers=answers)
    outline = client.get(klonopin.get_absolute_url()).content.decode()
    assert "Quiz: Withdrawal and tapering" in outline
    assert "Best 31% after 1 attempt, not passed yet" in outline
    assert "<th scope=\"row\">Withdrawal and tapering</th>" in outline and "31%" in outline
    dashboard = client.get(reverse("courses:dashboard")).content.decode()
    assert "Topics to review" in dashboard
    assert "Withdrawal and tapering: 31%" in dashboard
    assert "review Withdrawal and Safety Concerns" in dashboard


def _quiz_with(n):
    quiz = QuizFactory()
    for _ in range(n):
        QuestionFactory(quiz=quiz)
    return quiz


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, 30])
def test_quiz_page_save_and_submit_run_constant_queries(
    client, learner, django_assert_max_num_queries, n
):
    quiz = _quiz_with(n)
    client.force_login(learner)
    # Measured ceilings (savepoints count as queries); the same for 3 and 30 questions.
    with django_assert_max_num_queries(13):
        client.post(reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]))
    attempt = Attempt.objects.get()
    responses = list(attempt.responses.all())
    with django_assert_max_num_queries(4):
        assert client.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 200
    picks = {r.pk: key_of(r) for r in responses}
    with django_assert_max_num_queries(8):
        assert post_answers(client, attempt, picks).status_code == 302
    with django_assert_max_num_queries(16):
        assert post_answers(client, attempt, picks, action="submit").status_code == 302
    with django_assert_max_num_queries(4):
        assert client.get(reverse("quizzes:review", args=[attempt.pk])).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(quiz.get_absolute_url()).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("feedback", ["after_submit", "immediate"])
def test_the_cached_attempt_page_ticks_the_latest_answers(
    client, learner, feedback, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The page's questions come from the cache, built once per attempt; each
    request ticks the answers saved by then, exactly as rendering them anew."""
    from django.core.cache import cache

    from quizzes import caching, selectors
    from quizzes.templatetags.attempts import open_question, with_chosen

    quiz = QuizFactory(feedback=feedback)
    QuestionFactory(quiz=quiz)
    QuestionFactory(quiz=quiz, kind="multiple", options=[("A", True), ("B", True), ("C", False)])
    QuestionFactory(quiz=quiz)
    client.force_login(learner)
    attempt, _ = services.start_attempt(user=learner, quiz=quiz)
    page = reverse("quizzes:attempt", args=[attempt.pk])
    assert client.get(page).status_code == 200  # builds the entry
    single, multiple, _ = attempt.responses.order_by("position")
    picks = {single.pk: [choice_ids(single)[1]], multiple.pk: choice_ids(multiple)[:2]}
    assert post_answers(client, attempt, picks).status_code == 302
    with django_assert_max_num_queries(1):  # the attempt with its answers
        html = client.get(page).content.decode()
    for response_id, tokens in picks.items():
        for token in tokens:
            assert re.search(rf'name="r{response_id}"[^>]*value="{token}" checked>', html)
    assert html.count(" checked>") == 3 and "2 of 3 answered." in html
    checkable = feedback == "immediate"
    assert ("Check question 1" in html) is checkable
    expected = "\n".join(
        open_question(q, 3, checkable)
        for q in selectors.questions_for_learner(selectors.responses_of(attempt))
    )
    cached = caching.open_attempt(attempt, checkable)
    states = [(r.pk, r.selected, r.checked) for r in attempt.responses.all()]
    assert with_chosen(cached, states) == expected
    # The page reads them with the attempt, in one query: the same answers.
    own = selectors.get_own_attempt(attempt.pk, learner, with_answers=True)
    assert sorted(own.answer_states) == sorted(states) and len(states) == 3
    # The quiz's feedback changed mid-attempt: the page follows at once.
    quiz.feedback = "after_submit" if checkable else "immediate"
    quiz.review_key = quiz.review_correctness = "immediately"
    quiz.save()
    assert ("Check question 1" in client.get(page).content.decode()) is not checkable
    # Submitted: the entries go with it (its page is now its review).
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_attempt(attempt_id=attempt.pk, answers={})
    assert cache.get(caching._attempt_key(attempt, True)) is None
    assert cache.get(caching._attempt_key(attempt, False)) is None


@pytest.mark.django_db
def test_a_quiz_started_on_its_page_opens_without_reading_its_questions_again(
    client, learner, quiz
):
    """The start leaves the page the learner is sent to in the cache, built from
    the questions it drew: the page then reads the attempt with its answers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from quizzes import caching, selectors
    from quizzes.templatetags.attempts import open_question

    client.force_login(learner)
    start = client.post(reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(start["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and html.count('type="radio"') == 16
    assert not [marker for marker in KEY_MARKERS if marker in html]
    assert len(captured) == 1 and not any("snapshot" in q["sql"] for q in captured)
    attempt = Attempt.objects.get()
    expected = "\n".join(
        open_question(q, 4, False)
        for q in selectors.questions_for_learner(selectors.responses_of(attempt))
    )
    assert caching.open_attempt(attempt, False).html == expected
