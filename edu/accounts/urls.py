from django.contrib.auth import views as auth_views
from django.urls import include, path

from edu.throttling import throttle_posts

from . import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("account/", views.account, name="account"),
    path("account/data.json", views.download_data, name="account_data"),
    path("account/delete/", views.delete_account, name="account_delete"),
    path("account/tokens/<str:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path(
        "password_reset/",
        throttle_posts("password_reset", "Too many password reset requests.")(
            auth_views.PasswordResetView.as_view()
        ),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
