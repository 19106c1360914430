from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save


class AccountsConfig(AppConfig):
    name = "edu.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from knox.models import AuthToken

        from .authentication import forget_token
        from .backends import forget_user, remember_user
        from .roles import ensure_instructor_group
        from .signals import note_password_change, revoke_tokens_on_password_change

        post_migrate.connect(ensure_instructor_group, dispatch_uid="ensure_instructor_group")
        user = self.get_model("User")
        pre_save.connect(note_password_change, sender=user, dispatch_uid="note_password_change")
        post_save.connect(
            revoke_tokens_on_password_change, sender=user, dispatch_uid="revoke_tokens"
        )
        post_save.connect(forget_user, sender=user, dispatch_uid="forget_saved_user")
        post_delete.connect(forget_user, sender=user, dispatch_uid="forget_deleted_user")
        user_logged_in.connect(remember_user, dispatch_uid="remember_logged_in_user")
        for signal in (post_save, post_delete):
            signal.connect(forget_token, sender=AuthToken,
                           dispatch_uid=f"forget_token-{signal}")
