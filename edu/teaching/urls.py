from django.urls import path

from . import views

app_name = "teaching"
urlpatterns = [
    path("teach/cohorts/<int:pk>/invite/", views.invite, name="invite"),
    path("teach/cohorts/<int:pk>/learners/<int:learner_pk>/", views.learner_detail,
         name="learner"),
    path("teach/cohorts/<int:pk>/attempts/<int:attempt_pk>/", views.attempt_detail,
         name="attempt"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
