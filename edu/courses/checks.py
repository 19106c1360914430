"""`manage.py check --deploy`: what a school's IT person must not miss."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def cache_is_shared(app_configs, **kwargs):
    """Cached pages, pools and signed-in users are replaced by the write that
    changes them, in the cache every process reads: local memory is one
    process's own."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(".LocMemCache"):
        return [
            Warning(
                "The cache is local memory, kept by each process on its own: an edit or "
                "import made through one process is not seen by the others, and throttles "
                "and login lockouts count per process.",
                hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) whenever more than one "
                "process serves the site, as gunicorn with several workers does.",
                id="courses.W001",
            )
        ]
    return []
