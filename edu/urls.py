from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    """For load balancers: the app answers, nothing more."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("edu.accounts.urls")),
    path("", include("quizzes.urls")),
    path("", include("edu.courses.urls")),
]

admin.site.site_header = "Clonazepam module: authoring"
admin.site.site_title = "Clonazepam module admin"
