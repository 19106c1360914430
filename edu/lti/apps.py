from django.apps import AppConfig


class LtiConfig(AppConfig):
    """LTI 1.3 Advantage: platform launches, deep linking, grades and rosters."""

    name = "edu.lti"
    label = "lti"
    verbose_name = "LMS integration (LTI 1.3)"

    def ready(self):
        from quizzes.signals import attempt_submitted

        from . import receivers

        attempt_submitted.connect(
            receivers.queue_grade, dispatch_uid="edu.lti.queue_grade"
        )
