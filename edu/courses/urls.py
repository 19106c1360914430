from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("start/", views.start, name="start"),
    path("cohorts/join/", views.join, name="join"),
    path("certificates/claim/<slug:slug>/", views.certificate_claim, name="claim_certificate"),
    path("certificates/<str:code>/", views.certificate_detail, name="certificate"),
    path("certificates/<str:code>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("teach/", views.teach, name="teach"),
    path("teach/cohorts/<int:pk>/", views.gradebook_view, name="gradebook"),
    path("teach/cohorts/<int:pk>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    path(
        "teach/cohorts/<int:pk>/quizzes/<int:quiz_pk>/analysis/",
        views.item_analysis,
        name="item_analysis",
    ),
    path("courses/<slug:slug>/", views.course_detail, name="course"),
    path("courses/<slug:slug>/references/", views.references, name="references"),
    path("courses/<slug:slug>/continue/", views.continue_path, name="continue"),
    path("courses/<slug:course_slug>/<slug:slug>/", views.lesson_detail, name="lesson"),
    path(
        "courses/<slug:course_slug>/<slug:slug>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
]
