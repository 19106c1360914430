"""Instructors follow their cohorts (and see who holds a certificate)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_cohort", "change_cohort", "view_certificate"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructor")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Instructor"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="courses", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_cohorts_and_certificates")]

    operations = [migrations.RunPython(grant, revoke)]
