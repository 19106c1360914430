from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "edu.courses"
    label = "courses"
    verbose_name = "Courses"
