"""The REST API: one router, versioned under /api/v1/, with its OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from edu.accounts.api import TokenView
from edu.courses.api import CohortViewSet, CourseViewSet, LessonViewSet, ProgressView
from quizzes.api import AttemptViewSet, QuizViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("courses", CourseViewSet, basename="course")
router.register("lessons", LessonViewSet, basename="lesson")
router.register("quizzes", QuizViewSet, basename="quiz")
router.register("attempts", AttemptViewSet, basename="attempt")
router.register("cohorts", CohortViewSet, basename="cohort")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/progress/", ProgressView.as_view(), name="progress"),
    path("v1/auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
