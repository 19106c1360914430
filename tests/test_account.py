"""The learner's own account: name and time zone, password, tokens, their data,
and deleting it all."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from edu.courses.models import Certificate, LessonProgress
from edu.courses.services import issue_certificate
from quizzes.models import Attempt

from .factories import UserFactory
from .test_instructors import complete_course

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
def test_the_name_saved_on_the_account_is_printed_on_a_new_certificate(client, klonopin):
    learner = UserFactory(username="renamer", full_name="Wrong Name")
    client.force_login(learner)
    page = client.get(reverse("account"))
    assert page.status_code == 200 and 'value="Wrong Name"' in page.content.decode()
    saved = client.post(reverse("account"), {
        "full_name": "María José Ortega", "email": "mj@example.edu", "time_zone": "Europe/Madrid",
    })
    assert saved.status_code == 302
    learner.refresh_from_db()
    assert (learner.full_name, learner.time_zone) == ("María José Ortega", "Europe/Madrid")
    complete_course(learner, klonopin)
    client.post(reverse("courses:claim_certificate", args=["klonopin"]))
    certificate = Certificate.objects.get(user=learner)
    assert certificate.name == "María José Ortega"
    # Times are shown in the learner's zone, with the zone named.
    html = client.get(reverse("quizzes:quiz", args=["klonopin", "indications"])).content.decode()
    assert "CET" in html or "CEST" in html


@pytest.mark.django_db
def test_bad_account_input_gets_field_messages(client):
    client.force_login(UserFactory(username="typo"))
    response = client.post(reverse("account"), {"full_name": "X", "email": "not-an-email",
                                                 "time_zone": "Mars/Olympus"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in html and "Select a valid choice." in html


@pytest.mark.django_db
def test_changing_the_password_signs_other_sessions_out(client):
    learner = UserFactory(username="twodevices")
    laptop, phone = client, Client()
    laptop.force_login(learner)
    phone.force_login(learner)
    assert phone.get(reverse("account")).status_code == 200
    changed = laptop.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-fresh-long-passphrase",
        "new_password2": "a-fresh-long-passphrase",
    })
    assert changed.status_code == 302
    assert laptop.get(reverse("account")).status_code == 200  # this session stays
    assert phone.get(reverse("account")).status_code == 302  # the other one is out


@pytest.mark.django_db
def test_tokens_are_listed_and_revoked_on_the_account_page(client):
    learner = UserFactory(username="tokens")
    instance, _ = AuthToken.objects.create(learner)
    client.force_login(learner)
    html = client.get(reverse("account")).content.decode()
    assert instance.token_key in html
    revoked = client.post(reverse("revoke_token", args=[instance.token_key]), follow=True)
    assert "The API token is revoked." in revoked.content.decode()
    assert not AuthToken.objects.filter(user=learner).exists()
    other, _ = AuthToken.objects.create(UserFactory())
    refused = client.post(reverse("revoke_token", args=[other.token_key]), follow=True)
    assert AuthToken.objects.filter(pk=other.pk).exists()  # never someone else's
    assert "No such token" in refused.content.decode()


@pytest.mark.django_db
def test_the_data_download_holds_the_learners_attempts(client, klonopin):
    learner = UserFactory(username="takeaway")
    complete_course(learner, klonopin)
    client.force_login(learner)
    response = client.get(reverse("account_data"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["username"] == "takeaway"
    assert len(data["attempts"]) == Attempt.objects.filter(user=learner).count() == 7
    first = data["attempts"][0]
    assert first["answers"] and first["answers"][0]["chosen"]
    assert len(data["lessons"]) == 7


@pytest.mark.django_db
def test_deleting_the_account_removes_records_and_revokes_certificates(client, klonopin):
    learner = UserFactory(username="leaving")
    complete_course(learner, klonopin)
    certificate = issue_certificate(user=learner, course=klonopin)
    client.force_login(learner)
    wrong = client.post(reverse("account_delete"), {"password": "not-it"})
    assert wrong.status_code == 400 and type(learner).objects.filter(pk=learner.pk).exists()
    gone = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert gone.status_code == 302
    assert not type(learner).objects.filter(username="leaving").exists()
    assert not Attempt.objects.exists() and not LessonProgress.objects.exists()
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.user is None
    verify = client.get(reverse("courses:verify", args=[certificate.code])).content.decode()
    assert "has been revoked" in verify
