"""Every API token of a user dies when their password changes (a change, a
reset, or an administrator setting it): Django already ends their sessions."""

from knox.models import AuthToken


def note_password_change(sender, instance, update_fields=None, **kwargs):
    if not instance.pk or (update_fields is not None and "password" not in update_fields):
        instance._password_changed = False
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._password_changed = stored is not None and stored != instance.password


def revoke_tokens_on_password_change(sender, instance, **kwargs):
    if getattr(instance, "_password_changed", False):
        AuthToken.objects.filter(user=instance).delete()
