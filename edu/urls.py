from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults


def healthz(request):
    """For load balancers: the app answers, nothing more."""
    return HttpResponse("ok", content_type="text/plain")


def not_found(request, exception):
    """The API always answers JSON, even for a URL no route matches."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include(("edu.api", "api"))),
    path("accounts/", include("edu.accounts.urls")),
    path("", include("quizzes.urls")),
    path("", include("edu.teaching.urls")),
    path("", include("edu.courses.urls")),
]

admin.site.site_header = "Clonazepam module: authoring"
admin.site.site_title = "Clonazepam module admin"
