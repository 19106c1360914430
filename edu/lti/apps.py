from django.apps import AppConfig


class LtiConfig(AppConfig):
    """LTI 1.3 Advantage: platform launches, deep linking, grades and rosters."""

    name = "edu.lti"
    label = "lti"
    verbose_name = "LMS integration (LTI 1.3)"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from lti_tool.models import LtiRegistration

        from quizzes.signals import attempt_submitted

        from . import receivers
        from .models import PlatformOptions

        attempt_submitted.connect(
            receivers.queue_grade, dispatch_uid="edu.lti.queue_grade"
        )
        for model in (LtiRegistration, PlatformOptions):
            for signal in (post_save, post_delete):
                signal.connect(receivers.forget_frame_origins, sender=model,
                               dispatch_uid=f"lti-frame-origins-{model.__name__}-{signal}")
