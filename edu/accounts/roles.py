"""The Instructor role: staff who author content and follow their cohorts.

Its permissions are granted by one idempotent step after every migrate (and
after a test database is flushed), so the role always matches this list.
"""

from django.contrib.auth.models import Group, Permission

INSTRUCTOR_GROUP = "Instructor"
INSTRUCTOR_PERMISSIONS = {
    "courses": [
        "add_course", "change_course", "view_course",
        "add_lesson", "change_lesson", "delete_lesson", "view_lesson",
        "view_lessonprogress", "view_reference",
        "teach_cohort", "add_cohort", "view_cohort", "change_cohort",
        "view_certificate", "revoke_certificate",
    ],
    "quizzes": [
        "add_quiz", "change_quiz", "view_quiz",
        "add_question", "change_question", "delete_question", "view_question",
        "add_choice", "change_choice", "delete_choice", "view_choice",
        "add_blueprintentry", "change_blueprintentry", "delete_blueprintentry",
        "view_blueprintentry",
        "view_attempt", "view_response",
    ],
    "teaching": ["view_auditentry", "add_invitation", "view_invitation"],
}


def ensure_instructor_group(**kwargs):
    """post_migrate: create the group and give it every permission it should have."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
    for app_label, codenames in INSTRUCTOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
