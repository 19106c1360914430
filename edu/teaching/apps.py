from django.apps import AppConfig


class TeachingConfig(AppConfig):
    name = "edu.teaching"
    label = "teaching"
    verbose_name = "Teaching"
