"""The REST API: one router, versioned under /api/v1/, with its OpenAPI schema."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from edu.accounts.api import TokenDetailView, TokenListView, TokenView
from edu.courses.api import (
    CohortViewSet,
    CourseViewSet,
    JoinView,
    LessonViewSet,
    ProgressView,
)
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
    path("v1/classes/join/", JoinView.as_view(), name="join"),
    path("v1/auth/token/", TokenView.as_view(), name="token"),
    path("v1/auth/tokens/", TokenListView.as_view(), name="tokens"),
    path("v1/auth/tokens/<str:token_id>/", TokenDetailView.as_view(), name="token-detail"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI loads its start-up script from a URL (no inline script) but
    # styles its widgets inline: the docs page, and only it, allows that.
    path(
        "docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
]
