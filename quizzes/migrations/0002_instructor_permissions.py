"""Give the Instructor role what it needs to author quizzes and read attempts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [
    "add_quiz", "change_quiz", "view_quiz",
    "add_question", "change_question", "delete_question", "view_question",
    "add_choice", "change_choice", "delete_choice", "view_choice",
    "view_attempt", "view_response",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructor")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="quizzes", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Instructor"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="quizzes", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
