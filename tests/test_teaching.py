"""Instructors see only their own learners, everywhere (the admin included);
certificates are revoked and reinstated with a reason by permission; cohorts,
invitations and every access to a learner's records leave an audit entry."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from edu.courses.models import Certificate, Cohort, LessonProgress
from edu.courses.services import issue_certificate
from edu.teaching.models import AuditEntry, Invitation
from quizzes.models import Attempt, Response

from .factories import CohortFactory, UserFactory, make_instructor
from .test_instructors import complete_course


@pytest.fixture
def world(klonopin):
    """Instructor X teaches cohort 1 (learner A), Y teaches cohort 2 (learner B)."""
    x, y = make_instructor("xavier"), make_instructor("yolanda")
    a, b = UserFactory(username="alice"), UserFactory(username="bob")
    one = CohortFactory(course=klonopin, name="One")
    two = CohortFactory(course=klonopin, name="Two")
    one.instructors.add(x)
    one.learners.add(a)
    two.instructors.add(y)
    two.learners.add(b)
    for learner in (a, b):
        complete_course(learner, klonopin)
        issue_certificate(user=learner, course=klonopin)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    staff = UserFactory(username="sam", is_staff=True)  # staff, no teaching permission
    AuditEntry.objects.all().delete()
    return {
        "x": x, "y": y, "a": a, "b": b, "one": one, "two": two, "root": root, "staff": staff,
        "course": klonopin,
    }


def objects_of(learner, cohort):
    """One object of each learner-data model, with its admin URL name."""
    attempt = Attempt.objects.filter(user=learner).first()
    return {
        "quizzes_attempt": attempt.pk,
        "quizzes_response": Response.objects.filter(attempt=attempt).first().pk,
        "courses_lessonprogress": LessonProgress.objects.filter(user=learner).first().pk,
        "courses_certificate": Certificate.objects.get(user=learner).pk,
        "courses_cohort": cohort.pk,
    }


def admin_urls(model, pk):
    return {
        "change": reverse(f"admin:{model}_change", args=[pk]),
        "history": reverse(f"admin:{model}_history", args=[pk]),
        "delete": reverse(f"admin:{model}_delete", args=[pk]),
    }


@pytest.mark.django_db
def test_admin_role_by_route_matrix(client, world):
    """Every cross-cohort access is refused; own-cohort records are readable."""
    own = {"x": ("a", "one"), "y": ("b", "two")}
    for role in ("root", "x", "y", "staff", "a"):
        client.force_login(world[role])
        for learner, cohort in (("a", "one"), ("b", "two")):
            mine = role == "root" or own.get(role) == (learner, cohort)
            for model, pk in objects_of(world[learner], world[cohort]).items():
                for page, url in admin_urls(model, pk).items():
                    status = client.get(url).status_code
                    if role == "a":
                        assert status == 302, (role, model, page)  # to the admin login
                    elif not mine:
                        # another cohort's record does not exist for you (or you may not look)
                        assert status in (302, 403, 404), (role, model, page, status)
                        if status == 302:  # the admin sends a missing object to its index
                            assert "admin" in client.get(url)["Location"]
                    elif page == "delete":  # nobody deletes learner records through the site
                        assert status == 403 or role == "root", (role, model, page)
                    else:
                        assert status == 200, (role, model, page, status)
                changelist = client.get(reverse(f"admin:{model}_changelist"))
                if role in ("x", "y"):
                    assert changelist.status_code == 200
                    shown = changelist.context["cl"].result_list
                    assert (pk in {o.pk for o in shown}) == mine, (role, model)
        # Only a superuser (who sees everyone anyway) may search accounts by autocomplete.
        if role == "root":
            continue
        for app, model, field in (("courses", "cohort", "learners"),
                                  ("courses", "certificate", "user"),
                                  ("quizzes", "attempt", "user")):
            found = client.get(reverse("admin:autocomplete"), {
                "app_label": app, "model_name": model, "field_name": field, "term": "bob",
            })
            assert found.status_code in (302, 403), (role, model, field)
            assert b"bob" not in found.content


@pytest.mark.django_db
def test_instructor_lists_show_only_their_learners(client, world):
    client.force_login(world["x"])
    for name in ("quizzes_attempt", "quizzes_response", "courses_lessonprogress",
                 "courses_certificate", "courses_cohort", "teaching_auditentry"):
        html = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        # A random CSRF token once spelled "Two": tokens are not learner data.
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        assert "bob" not in html and "Two" not in html, name
    client.force_login(world["staff"])
    assert client.get(reverse("admin:quizzes_attempt_changelist")).status_code == 403
    assert client.get(reverse("courses:teach")).status_code == 403
    assert "Teaching</a>" not in client.get(reverse("courses:home")).content.decode()
    client.force_login(world["x"])
    assert "Teaching</a>" in client.get(reverse("courses:home")).content.decode()


@pytest.mark.django_db
def test_teaching_pages_refuse_other_cohorts(client, world):
    one, two = world["one"], world["two"]
    a_attempt = Attempt.objects.filter(user=world["a"]).first()
    b_attempt = Attempt.objects.filter(user=world["b"]).first()
    routes = {
        "gradebook": (reverse("courses:gradebook", args=[one.pk]),
                      reverse("courses:gradebook", args=[two.pk])),
        "csv": (reverse("courses:gradebook_csv", args=[one.pk]),
                reverse("courses:gradebook_csv", args=[two.pk])),
        "learner": (reverse("teaching:learner", args=[one.pk, world["a"].pk]),
                    reverse("teaching:learner", args=[two.pk, world["b"].pk])),
        "attempt": (reverse("teaching:attempt", args=[one.pk, a_attempt.pk]),
                    reverse("teaching:attempt", args=[two.pk, b_attempt.pk])),
        "invite": (reverse("teaching:invite", args=[one.pk]),
                   reverse("teaching:invite", args=[two.pk])),
    }
    for role, expected in (("x", (200, 404)), ("y", (404, 200)), ("root", (200, 200)),
                           ("staff", (403, 403)), ("a", (403, 403))):
        client.force_login(world[role])
        for name, urls in routes.items():
            got = tuple(client.get(url).status_code for url in urls)
            assert got == expected, (role, name, got)
    # A learner of another cohort, or another cohort's attempt, through one's own cohort: 404.
    client.force_login(world["x"])
    assert client.get(reverse("teaching:learner", args=[one.pk, world["b"].pk])).status_code == 404
    assert client.get(reverse("teaching:attempt", args=[one.pk, b_attempt.pk])).status_code == 404


@pytest.mark.django_db
def test_reading_a_learners_attempt_is_audited(client, world):
    client.force_login(world["x"])
    gradebook = client.get(reverse("courses:gradebook", args=[world["one"].pk])).content.decode()
    learner_url = reverse("teaching:learner", args=[world["one"].pk, world["a"].pk])
    assert f'href="{learner_url}"' in gradebook
    page = client.get(learner_url, REMOTE_ADDR="203.0.113.9").content.decode()
    attempt = Attempt.objects.filter(user=world["a"]).first()
    attempt_url = reverse("teaching:attempt", args=[world["one"].pk, attempt.pk])
    assert f'href="{attempt_url}"' in page
    review = client.get(attempt_url, REMOTE_ADDR="203.0.113.9").content.decode()
    assert "(correct answer)" in review and "Learner's answer:" in review
    client.get(reverse("courses:gradebook_csv", args=[world["one"].pk]))
    entries = list(AuditEntry.objects.order_by("at", "pk"))
    assert [e.action for e in entries] == ["view_learner", "view_attempt", "export_gradebook"]
    assert all(e.actor == world["x"] and e.cohort == world["one"] for e in entries)
    assert entries[1].learner == world["a"] and entries[1].ip == "203.0.113.9"


@pytest.mark.django_db
def test_the_audit_trail_cannot_be_changed_through_the_site(client, world):
    client.force_login(world["x"])
    client.get(reverse("courses:gradebook_csv", args=[world["one"].pk]))
    entry = AuditEntry.objects.get()
    client.force_login(world["root"])
    assert client.get(reverse("admin:teaching_auditentry_add")).status_code == 403
    delete = reverse("admin:teaching_auditentry_delete", args=[entry.pk])
    assert client.get(delete).status_code == 403
    change = client.post(reverse("admin:teaching_auditentry_change", args=[entry.pk]),
                         {"target": "nothing happened"})
    assert change.status_code == 403
    entry.refresh_from_db()
    assert entry.target.startswith("gradebook CSV")


def _revoke(client, certificate, reason="Academic misconduct"):
    url = reverse("admin:courses_certificate_changelist")
    data = {"action": "revoke", "_selected_action": [certificate.pk]}
    form = client.post(url, data)
    if reason is None:
        return form
    return client.post(url, {**data, "confirm": "1", "reason": reason})


@pytest.mark.django_db
def test_revoke_asks_a_reason_is_scoped_and_can_be_undone(client, world):
    a_cert = Certificate.objects.get(user=world["a"])
    b_cert = Certificate.objects.get(user=world["b"])
    client.force_login(world["x"])
    form = _revoke(client, a_cert, reason=None)
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    a_cert.refresh_from_db()
    assert not a_cert.is_revoked  # not until a reason is given
    _revoke(client, a_cert, reason="")
    a_cert.refresh_from_db()
    assert not a_cert.is_revoked
    _revoke(client, a_cert)
    a_cert.refresh_from_db()
    assert a_cert.is_revoked and a_cert.revoked_reason == "Academic misconduct"
    # Another cohort's certificate is not in X's queryset: the action touches nothing.
    _revoke(client, b_cert)
    b_cert.refresh_from_db()
    assert not b_cert.is_revoked
    client.post(reverse("admin:courses_certificate_changelist"),
                {"action": "reinstate", "_selected_action": [a_cert.pk]})
    a_cert.refresh_from_db()
    assert not a_cert.is_revoked and a_cert.revoked_reason == ""
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "revoke_certificate", "reinstate_certificate"
    ]


@pytest.mark.django_db
def test_revoking_needs_its_own_permission(client, world):
    cert = Certificate.objects.get(user=world["a"])
    teacher = world["x"]
    for group in teacher.groups.all():
        group.permissions.remove(Permission.objects.get(codename="revoke_certificate"))
    teacher = type(teacher).objects.get(pk=teacher.pk)  # a fresh permission cache
    client.force_login(teacher)
    changelist = client.get(reverse("admin:courses_certificate_changelist")).content.decode()
    assert 'value="revoke"' not in changelist
    _revoke(client, cert)
    cert.refresh_from_db()
    assert not cert.is_revoked


@pytest.mark.django_db
def test_the_learners_page_after_a_revoke(client, world):
    cert = Certificate.objects.get(user=world["a"])
    client.force_login(world["x"])
    _revoke(client, cert, reason="Identity could not be confirmed")
    client.force_login(world["a"])
    page = client.get(cert.get_absolute_url()).content.decode()
    assert "This certificate has been revoked" in page
    assert "Identity could not be confirmed" in page and "Download PDF" not in page
    pdf = client.get(reverse("courses:certificate_pdf", args=[cert.code]))
    assert pdf.status_code == 410 and pdf["Content-Type"].startswith("text/html")
    verify = client.get(reverse("courses:verify", args=[cert.code])).content.decode()
    assert "has been revoked" in verify


@pytest.mark.django_db
def test_an_instructor_creates_a_cohort_and_can_only_remove_learners(client, world):
    client.force_login(world["x"])
    add = reverse("admin:courses_cohort_add")
    form = client.get(add)
    assert form.status_code == 200
    offered = {str(u.pk) for u in form.context["adminform"].form.fields["learners"].queryset}
    assert offered == set()  # nobody can be pulled in: learners join by code or invitation
    response = client.post(add, {
        "name": "Evening class", "course": world["course"].pk, "instructors": [],
        "learners": [world["b"].pk, world["root"].pk], "join_code": "EVENING2",
    })
    assert response.status_code == 200 and not Cohort.objects.filter(name="Evening class").exists()
    response = client.post(add, {"name": "Evening class", "course": world["course"].pk,
                                 "join_code": "EVENING2",
                                 "join_code_expires_at": "2027-01-31T12:00"})
    assert response.status_code == 302
    cohort = Cohort.objects.get(name="Evening class")
    assert cohort.join_code_expires_at.date().isoformat() == "2027-01-31"
    assert list(cohort.instructors.all()) == [world["x"]] and not cohort.learners.exists()

    # Learner A is removed from cohort One; the audit trail says so.
    change = reverse("admin:courses_cohort_change", args=[world["one"].pk])
    fields = client.get(change).context["adminform"].form.fields
    assert {u.username for u in fields["learners"].queryset} == {"alice"}
    client.post(change, {"name": "One", "course": world["course"].pk,
                         "instructors": [world["x"].pk], "learners": [],
                         "join_code": world["one"].join_code})
    assert not world["one"].learners.exists()
    entry = AuditEntry.objects.get(action="remove_learner")
    assert entry.learner == world["a"] and entry.actor == world["x"]

    # A new join code, by action.
    old = world["one"].join_code
    client.post(reverse("admin:courses_cohort_changelist"),
                {"action": "regenerate_join_code", "_selected_action": [world["one"].pk]})
    world["one"].refresh_from_db()
    assert world["one"].join_code != old


@pytest.mark.django_db
def test_invitations_join_the_learner_and_are_audited(client, world):
    client.force_login(world["x"])
    bad = client.post(reverse("teaching:invite", args=[world["one"].pk]), {"emails": "nope"})
    assert bad.status_code == 400 and "Not an e-mail address: nope" in bad.content.decode()
    client.post(reverse("teaching:invite", args=[world["one"].pk]),
                {"emails": "new@example.edu, bob@example.com"})
    assert len(mail.outbox) == 2 and Invitation.objects.count() == 2
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    assert client.get(link)["Location"].startswith(reverse("login"))
    newcomer = UserFactory(username="newcomer")
    client.force_login(newcomer)
    assert client.get(link).status_code == 200
    joined = client.post(link)
    assert joined["Location"] == world["course"].get_absolute_url()
    assert world["one"].learners.filter(pk=newcomer.pk).exists()
    # The link works once.
    client.force_login(world["b"])
    assert client.post(link).status_code == 400
    assert not world["one"].learners.filter(pk=world["b"].pk).exists()
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["invite", "invite", "join"]


@pytest.mark.django_db
def test_instructors_land_on_teaching_after_logging_in(client, world):
    client.force_login(world["x"])
    assert client.get(reverse("courses:start"))["Location"] == reverse("courses:teach")
    client.force_login(world["a"])
    assert client.get(reverse("courses:start"))["Location"] == reverse("courses:dashboard")


@pytest.mark.django_db
def test_a_mail_server_failure_keeps_nothing_and_says_so(client, world, monkeypatch):
    import smtplib

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("edu.teaching.services.send_mail", refuse)
    client.force_login(world["x"])
    response = client.post(reverse("teaching:invite", args=[world["one"].pk]),
                           {"emails": "someone@example.edu"})
    assert response.status_code == 503
    assert "could not send the invitations" in response.content.decode()
    assert not Invitation.objects.exists() and not AuditEntry.objects.exists()
