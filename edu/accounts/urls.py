from django.contrib.auth import views as auth_views
from django.urls import include, path

from edu.throttling import throttle_posts

from . import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "password_reset/",
        throttle_posts("password_reset", "Too many password reset requests.")(
            auth_views.PasswordResetView.as_view()
        ),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
