from django.urls import path

from . import views

app_name = "quizzes"
urlpatterns = [
    path("courses/<slug:course_slug>/quizzes/<slug:slug>/", views.quiz_detail, name="quiz"),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/start/",
        views.quiz_start,
        name="start",
    ),
    path("attempts/<int:pk>/", views.attempt_page, name="attempt"),
    path("attempts/<int:pk>/summary/", views.attempt_summary, name="summary"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="submit"),
    path("attempts/<int:pk>/review/", views.attempt_review, name="review"),
]
