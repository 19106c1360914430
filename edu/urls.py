from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from . import errors


def healthz(request):
    """Liveness, for load balancers: the app answers, nothing more."""
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name none (the admin's)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def readyz(request):
    """Readiness: the database answers, and the cache when one is configured."""
    problems = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure to reach it means "not ready"
        problems.append(f"database: {exc.__class__.__name__}")
    if settings.REDIS_URL:
        try:
            cache.set("readyz", "ok", 5)
            if cache.get("readyz") != "ok":
                problems.append("cache: no answer")
        except Exception as exc:
            problems.append(f"cache: {exc.__class__.__name__}")
    body = "not ready: " + "; ".join(problems) if problems else "ready"
    return HttpResponse(body, content_type="text/plain", status=503 if problems else 200)


handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include(("edu.api", "api"))),
    path("accounts/", include("edu.accounts.urls")),
    path("lti/", include("edu.lti.urls")),
    path("", include("quizzes.urls")),
    path("", include("edu.teaching.urls")),
    path("", include("edu.courses.urls")),
]

admin.site.site_header = "Clonazepam module: authoring"
admin.site.site_title = "Clonazepam module admin"
