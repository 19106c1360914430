import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name, such as Europe/Paris.")


class User(AbstractUser):
    """A learner or an instructor.

    Custom from the first migration so the project can grow the user without a
    painful swap later. The full name is one field (not first/last) because it
    is printed as written on certificates, whatever the learner's naming
    convention.
    """

    full_name = models.CharField(
        "full name",
        max_length=150,
        blank=True,
        help_text="As it should appear on your certificate.",
    )
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Dates and times are shown in this zone.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username

    def get_short_name(self):
        return self.full_name or self.username
