"""Sign up, log in, log out and password reset, on Django's own views."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

User = get_user_model()


@pytest.mark.django_db
def test_sign_up_logs_the_learner_in_and_goes_to_next(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "noor",
            "full_name": "Noor Ḥaddād",
            "email": "noor@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "next": "/courses/klonopin/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/courses/klonopin/"
    user = User.objects.get(username="noor")
    assert user.full_name == "Noor Ḥaddād" and str(user) == "Noor Ḥaddād"
    assert client.get(reverse("courses:dashboard")).status_code == 200


@pytest.mark.django_db
def test_sign_up_refuses_an_offsite_next_and_duplicate_email(client, learner):
    response = client.post(
        reverse("signup"),
        {
            "username": "other",
            "email": learner.email.upper(),
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "An account with this email address already exists." in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(username="other").exists()
    response = client.post(
        reverse("signup"),
        {
            "username": "other",
            "email": "other@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("courses:dashboard")


@pytest.mark.django_db
def test_form_fields_are_labelled(client):
    html = client.get(reverse("signup")).content.decode()
    for name in ("username", "full_name", "email", "password1", "password2"):
        assert f'<label for="id_{name}"' in html


@pytest.mark.django_db
def test_log_in_and_out(client, learner):
    response = client.post(
        reverse("login"), {"username": "ada", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:start")
    assert client.get(response["Location"])["Location"] == reverse("courses:dashboard")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("courses:dashboard")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_gives_a_clear_message(client, learner):
    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_sends_a_working_link(client, learner):
    response = client.post(reverse("password_reset"), {"email": learner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"},
    )
    assert response.status_code == 302
    logged_in = client.post(
        reverse("login"), {"username": "ada", "password": "another-long-passphrase"}
    )
    assert logged_in.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_demo_users_are_created_once_with_random_passwords():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_demo_users", stdout=out)
    passwords = re.findall(r"with password: (\S+)", out.getvalue())
    assert len(passwords) == 2 and passwords[0] != passwords[1]
    instructor = User.objects.get(username="instructor")
    assert instructor.is_staff and not instructor.is_superuser
    assert instructor.groups.filter(name="Instructor").exists()
    assert User.objects.get(username="learner").check_password(passwords[0])
    again = StringIO()
    call_command("create_demo_users", stdout=again)
    assert "already exists" in again.getvalue() and "password:" not in again.getvalue()


@pytest.mark.django_db
def test_instructor_group_can_author_but_is_not_superuser(client):
    group = Group.objects.get(name="Instructor")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_lesson", "add_course", "view_lessonprogress"} <= codenames
    assert "change_lessonprogress" not in codenames
    assert "delete_user" not in codenames
