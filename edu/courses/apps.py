from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete


class CoursesConfig(AppConfig):
    name = "edu.courses"
    label = "courses"
    verbose_name = "Courses"

    def ready(self):
        from quizzes.models import BlueprintEntry, Quiz

        from . import caching, checks, services  # noqa: F401  (checks registers itself)
        from .models import Cohort, Course, Lesson, Reference

        for model in (Course, Lesson, Reference, Quiz, BlueprintEntry):
            for signal in (post_save, post_delete):
                signal.connect(caching.content_changed, sender=model,
                               dispatch_uid=f"courses-content-{model.__name__}-{signal}")
        post_migrate.connect(caching.code_changed, sender=self, dispatch_uid="courses-deploy")
        pre_delete.connect(services.cohort_deleting, sender=Cohort,
                           dispatch_uid="courses-cohort-deleting")
        pre_delete.connect(services.quiz_deleting, sender=Quiz,
                           dispatch_uid="courses-quiz-deleting")
