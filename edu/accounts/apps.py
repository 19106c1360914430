from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "edu.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from .roles import ensure_instructor_group

        post_migrate.connect(ensure_instructor_group, dispatch_uid="ensure_instructor_group")
