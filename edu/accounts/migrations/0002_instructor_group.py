"""The Instructor role: staff who author content. No superuser rights."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

INSTRUCTOR_PERMISSIONS = {
    "courses": [
        "add_course", "change_course", "view_course",
        "add_lesson", "change_lesson", "delete_lesson", "view_lesson",
        "view_lessonprogress",
    ],
}


def create_instructor_group(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructor")
    for app_label, codenames in INSTRUCTOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_instructor_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Instructor").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("courses", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_instructor_group, remove_instructor_group)]
