"""Formerly gave the project's Instructor group its quiz permissions.

The engine knows nothing of the project's roles: the Instructor role and all
its permissions are granted by edu.accounts.roles after every migrate. This
migration is kept, empty, so that databases that applied it stay consistent.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = []
