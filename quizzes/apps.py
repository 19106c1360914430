from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Quizzes"

    def ready(self):
        from . import caching
        from .models import BlueprintEntry, Choice, Question, Quiz
        from .signals import attempt_submitted

        for model in (Quiz, Question, Choice, BlueprintEntry):
            for signal in (post_save, post_delete):
                signal.connect(caching.bank_changed, sender=model,
                               dispatch_uid=f"quizzes-bank-{model.__name__}-{signal}")
        post_migrate.connect(caching.code_changed, sender=self, dispatch_uid="quizzes-deploy")
        attempt_submitted.connect(caching.forget_submitted,
                                  dispatch_uid="quizzes-forget-submitted")
