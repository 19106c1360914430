import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

DEMO_USERS = (
    ("learner", "Demo Learner", False),
    ("instructor", "Demo Instructor", True),
)


class Command(BaseCommand):
    help = (
        "Create a demo learner and a demo instructor with random passwords, "
        "printing each password once. Existing demo users are left alone."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        for username, full_name, is_instructor in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"Demo user '{username}' already exists (password unchanged).")
                continue
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username,
                full_name=full_name,
                email=f"{username}@example.com",
                password=password,
                is_staff=is_instructor,
            )
            if is_instructor:
                group = Group.objects.filter(name="Instructor").first()
                if group:
                    user.groups.add(group)
            self.stdout.write(
                self.style.SUCCESS(f"Created demo user '{username}' with password: {password}")
            )
        self.stdout.write(
            "Lost a demo password? Set a new one with: "
            ".venv/bin/python manage.py changepassword learner (or instructor)"
        )
