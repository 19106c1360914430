from django.urls import path

from . import views

app_name = "lti"
urlpatterns = [
    path("login/", views.oidc_login, name="login"),
    path("login/<uuid:registration_uuid>/", views.oidc_login, name="login_for"),
    path("launch/", views.launch, name="launch"),
    path("jwks.json", views.jwks, name="jwks"),
    path("continue/<str:token>/", views.continue_launch, name="continue"),
    path("deep-link/", views.deep_link, name="deep_link"),
    path("cohorts/<int:pk>/roster/", views.roster, name="roster"),
]
