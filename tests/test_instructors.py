"""Cohorts, the gradebook and its CSV, item-analysis pages, join codes and
certificates: who may see what, and what they show."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from edu.courses.gradebook import spreadsheet_safe
from edu.courses.models import Certificate, Cohort
from edu.courses.services import complete_lesson
from quizzes.models import Quiz

from .factories import CohortFactory, UserFactory, make_instructor, pass_quiz

TRICKY_NAMES = ["<script>alert(1)</script>", 'Ann "Quotes" O\'Hara', "=1+1", "Ζωή Παπαδοπούλου"]


def complete_course(user, course):
    for lesson in course.lessons.all():
        complete_lesson(user=user, lesson=lesson)
    for quiz in Quiz.objects.filter(course=course):
        pass_quiz(user, quiz)


@pytest.fixture
def setup(klonopin):
    teacher = make_instructor("teacher")
    outsider = make_instructor("outsider")
    cohort = CohortFactory(course=klonopin, name="Nursing 2026")
    cohort.instructors.add(teacher)
    other = CohortFactory(course=klonopin, name="Pharmacy 2026")
    other.instructors.add(outsider)
    learners = [
        UserFactory(username=f"s{n}", full_name=name) for n, name in enumerate(TRICKY_NAMES)
    ]
    cohort.learners.add(*learners)
    return {"teacher": teacher, "outsider": outsider, "cohort": cohort, "other": other,
            "learners": learners, "course": klonopin}


def instructor_urls(cohort, quiz):
    return [
        reverse("courses:gradebook", args=[cohort.pk]),
        reverse("courses:gradebook_csv", args=[cohort.pk]),
        reverse("courses:item_analysis", args=[cohort.pk, quiz.pk]),
    ]


@pytest.mark.django_db
def test_every_instructor_route_for_every_role(client, setup):
    quiz = Quiz.objects.get(slug="withdrawal-safety")
    cohort = setup["cohort"]
    urls = instructor_urls(cohort, quiz)
    # Anonymous: to the login page.
    for url in [*urls, reverse("courses:teach")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    # A learner (even one in the cohort): 403, everywhere.
    client.force_login(setup["learners"][0])
    for url in [*urls, reverse("courses:teach")]:
        assert client.get(url).status_code == 403, url
    # Staff without the Instructor role: 403.
    client.force_login(UserFactory(username="staffonly", is_staff=True))
    for url in urls:
        assert client.get(url).status_code == 403, url
    # Another cohort's instructor, by URL or id: 404.
    client.force_login(setup["outsider"])
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert "Nursing 2026" not in client.get(reverse("courses:teach")).content.decode()
    # A quiz of another course in the instructor's own cohort URL: 404.
    foreign = Quiz.objects.create(course=CohortFactory().course, slug="x", title="X")
    client.force_login(setup["teacher"])
    assert client.get(reverse("courses:item_analysis", args=[cohort.pk, foreign.pk])
                      ).status_code == 404
    # The cohort's instructor and a superuser: 200.
    for user in (setup["teacher"], UserFactory(username="root", is_staff=True,
                                               is_superuser=True)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)


@pytest.mark.django_db
def test_gradebook_rows_sorting_and_names_shown_harmlessly(client, setup):
    first, second = setup["learners"][:2]
    lessons = list(setup["course"].lessons.all())
    for lesson in lessons[:3]:
        complete_lesson(user=second, lesson=lesson)
    attempt = pass_quiz(second, Quiz.objects.get(slug="indications"))
    client.force_login(setup["teacher"])
    url = reverse("courses:gradebook", args=[setup["cohort"].pk])
    html = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Ann &quot;Quotes&quot; O&#x27;Hara" in html and "Ζωή Παπαδοπούλου" in html
    row = html.split("Ann &quot;Quotes&quot;")[1].split("</tr>")[0]
    assert "<td>3</td>" in row and "100% passed" in row
    assert attempt.submitted_at.strftime("%Y") in row
    by_progress = client.get(url + "?sort=-progress").content.decode()
    assert by_progress.index("Ann &quot;Quotes") < by_progress.index("Ζωή")
    by_name_desc = client.get(url + "?sort=-name").content.decode()
    assert by_name_desc.index("Ζωή") < by_name_desc.index("=1+1")
    assert client.get(url + "?sort=bogus&page=99").status_code == 200


@pytest.mark.django_db
def test_csv_is_spreadsheet_safe(client, setup):
    client.force_login(setup["teacher"])
    response = client.get(reverse("courses:gradebook_csv", args=[setup["cohort"].pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffusername,name,email,lessons completed (of 7)")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    names = {row[1] for row in rows[1:]}
    assert names == {"<script>alert(1)</script>", 'Ann "Quotes" O\'Hara', "'=1+1",
                     "Ζωή Παπαδοπούλου"}
    assert len(rows[0]) == len(rows[1]) == 4 + 2 * 7 + 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"),
     ("\tx", "'\tx"), ("plain", "plain"), (None, ""), (42, "42")],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


@pytest.mark.django_db
def test_csv_of_many_rows_is_produced_as_a_stream(client, klonopin):
    from django.contrib.auth import get_user_model

    teacher = make_instructor("teacher")
    cohort = CohortFactory(course=klonopin)
    cohort.instructors.add(teacher)
    User = get_user_model()
    User.objects.bulk_create(User(username=f"bulk{n:05d}") for n in range(4500))
    cohort.learners.add(*User.objects.filter(username__startswith="bulk"))
    client.force_login(teacher)
    response = client.get(reverse("courses:gradebook_csv", args=[cohort.pk]))
    assert response.streaming
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as first:
        header = next(chunks)
        first_row = next(chunks)
    assert header.startswith("\ufeffusername".encode()) and first_row.startswith(b"bulk00000")
    # Only the first batch of learners has been read so far.
    learner_reads = [q for q in first.captured_queries if "accounts_user" in q["sql"]]
    assert len(learner_reads) == 1 and "LIMIT 2000" in learner_reads[0]["sql"]
    with CaptureQueriesContext(connection) as rest:
        remaining = sum(1 for _ in chunks)
    assert remaining == 4499
    batches = [q for q in rest.captured_queries if "accounts_user" in q["sql"]]
    assert len(batches) == 3  # 2,000 + 2,000 + 500 rows, then an empty read ends it


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [3, 40])
def test_instructor_pages_run_constant_queries(
    client, setup, django_assert_max_num_queries, learners
):
    quiz = Quiz.objects.get(slug="indications")
    extra = [UserFactory(username=f"extra{n}") for n in range(learners)]
    setup["cohort"].learners.add(*extra)
    for user in extra[:learners]:
        pass_quiz(user, quiz)
    client.force_login(setup["teacher"])
    # session, user, permissions (2), cohort, count, learners page, quizzes, lessons, results
    with django_assert_max_num_queries(10):
        assert client.get(reverse("courses:gradebook", args=[setup["cohort"].pk])
                          ).status_code == 200
    # The item analysis: session, user, permission, cohort, quiz and the course's
    # quizzes around the report (tests.test_scale_queries): the first open
    # builds the cohort's tallies, later ones only add what is new.
    url = reverse("courses:item_analysis", args=[setup["cohort"].pk, quiz.pk])
    for ceiling in (25, 17):
        with django_assert_max_num_queries(ceiling):
            response = client.get(url)
        assert response.status_code == 200
        assert f"({learners} submitted first attempt" in response.content.decode()


@pytest.mark.django_db
def test_item_analysis_page_has_chart_and_table(client, setup):
    quiz = Quiz.objects.get(slug="indications")
    for learner in setup["learners"]:
        pass_quiz(learner, quiz)
    client.force_login(setup["teacher"])
    html = client.get(
        reverse("courses:item_analysis", args=[setup["cohort"].pk, quiz.pk])
    ).content.decode()
    assert '<svg role="img"' in html and "<title id=\"chart-title\">" in html
    assert html.count('class="bar-facility"') == quiz.questions.count()
    assert "first attempts only" in html and "100.00%" in html
    # Everyone got every item right, but three attempts are too few to judge.
    assert "too easy" not in html and "Too few first attempts to judge" in html


@pytest.mark.django_db
def test_join_codes(client, klonopin):
    cohort = CohortFactory(course=klonopin)
    learner = UserFactory(username="joiner")
    client.force_login(learner)
    url = reverse("courses:join")
    wrong = client.post(url, {"code": "NOPE1234"})
    assert wrong.status_code == 400 and "not valid" in wrong.content.decode()
    cohort.join_code_expires_at = timezone.now() - timedelta(minutes=1)
    cohort.save()
    expired = client.post(url, {"code": cohort.join_code})
    assert expired.status_code == 400 and "has expired" in expired.content.decode()
    assert not cohort.learners.exists()
    cohort.join_code_expires_at = timezone.now() + timedelta(days=1)
    cohort.save()
    joined = client.post(url, {"code": f" {cohort.join_code.lower()} "})
    assert joined.status_code == 302 and joined["Location"] == klonopin.get_absolute_url()
    assert list(cohort.learners.all()) == [learner]
    # The dashboard lists a joined course even before a lesson is opened.
    assert klonopin.title in client.get(reverse("courses:dashboard")).content.decode()
    assert Cohort.objects.count() == 1


@pytest.mark.django_db
def test_certificate_only_when_complete_then_public_check_and_revocation(client, klonopin):
    learner = UserFactory(username="grad", full_name="Ζωή <b>O'Hara</b> =1+1")
    client.force_login(learner)
    claim = reverse("courses:claim_certificate", args=["klonopin"])
    refused = client.post(claim, follow=True)
    assert "Complete every lesson and pass every quiz" in refused.content.decode()
    assert not Certificate.objects.exists()

    complete_course(learner, klonopin)
    outline = client.get(klonopin.get_absolute_url()).content.decode()
    assert "Get your certificate" in outline
    response = client.post(claim)
    certificate = Certificate.objects.get()
    assert response["Location"] == certificate.get_absolute_url()
    assert len(certificate.code) >= 20
    assert client.post(claim)["Location"] == certificate.get_absolute_url()  # same one again
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "Ζωή &lt;b&gt;O&#x27;Hara&lt;/b&gt; =1+1" in page
    assert certificate.final_score == 100 and certificate.final_passed_at
    assert f"Final assessment: 100%, passed {certificate.final_passed_at:%-d %B %Y}" in page
    dashboard = client.get(reverse("courses:dashboard")).content.decode()
    assert "Your certificate" in dashboard

    pdf = client.get(reverse("courses:certificate_pdf", args=[certificate.code]))
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Ζωή <b>O'Hara</b> =1+1" in text and certificate.code in text
    assert "Final assessment: 100%" in text

    client.logout()
    verify = client.get(reverse("courses:verify", args=[certificate.code]))
    html = verify.content.decode()
    assert verify.status_code == 200 and "This certificate is valid." in html
    assert "Ζωή &lt;b&gt;" in html and klonopin.title in html
    assert "grad" not in html.replace("Certificate", "")  # no username or email
    # The owner's page and PDF are not public.
    assert client.get(certificate.get_absolute_url()).status_code == 302
    client.force_login(UserFactory(username="nosy"))
    assert client.get(certificate.get_absolute_url()).status_code == 404
    assert client.get(reverse("courses:certificate_pdf", args=[certificate.code])
                      ).status_code == 404

    certificate.revoked_at = timezone.now()
    certificate.save()
    assert "has been revoked" in client.get(
        reverse("courses:verify", args=[certificate.code])
    ).content.decode()
    unknown = client.get(reverse("courses:verify", args=["not-a-real-code"]))
    assert unknown.status_code == 404 and "Page not found" in unknown.content.decode()
