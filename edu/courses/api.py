"""Courses, lessons, progress and the instructor's read-only views over HTTP.
Thin: the same selectors and services as the pages."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from edu.pagination import BadQuery
from quizzes import statistics
from quizzes.api import NO_PAGE, NOT_FOUND, UNAUTHENTICATED
from quizzes.models import Quiz
from quizzes.serializers import ErrorSerializer

from . import gradebook, selectors, services
from .models import Certificate, Cohort, Course, Lesson
from .permissions import IsInstructor
from .serializers import (
    CertificateSerializer,
    CohortSerializer,
    CourseProgressSerializer,
    CourseSerializer,
    GradebookRowSerializer,
    ItemAnalysisSerializer,
    JoinedSerializer,
    JoinSerializer,
    LessonSerializer,
    LessonSummarySerializer,
)

FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Not an instructor.")


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CourseSerializer
    lookup_field = "slug"
    queryset = Course.objects.published()

    @extend_schema(
        methods=["GET"],
        summary="The learner's certificate for this course",
        responses={200: CertificateSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        request=None,
        summary="Claim the certificate (once every lesson is completed and every quiz passed)",
        responses={
            200: OpenApiResponse(CertificateSerializer, description="Already issued."),
            201: OpenApiResponse(CertificateSerializer, description="Issued now."),
            400: OpenApiResponse(ErrorSerializer, description="The course is not complete."),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"])
    def certificate(self, request, slug=None):
        course = self.get_object()
        if request.method == "GET":
            certificate = get_object_or_404(Certificate, user=request.user, course=course)
            return Response(CertificateSerializer(certificate, context={"request": request}).data)
        existed = Certificate.objects.filter(user=request.user, course=course).exists()
        try:
            certificate = services.issue_certificate(user=request.user, course=course)
        except services.CourseActionError as exc:
            return Response({"detail": str(exc)}, status=400)
        return Response(
            CertificateSerializer(certificate, context={"request": request}).data,
            status=200 if existed else 201,
        )

    @extend_schema(
        responses={200: CourseSerializer(many=True), 401: UNAUTHENTICATED, 400: NO_PAGE}
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: CourseSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class LessonViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Lesson.objects.none()
        lessons = (
            Lesson.objects.published()
            .filter(course__published=True)
            .select_related("course")
            .order_by("course_id", "position")
        )
        course = self.request.query_params.get("course")
        if course:
            lessons = lessons.filter(course__slug=course)
        if self.action == "retrieve":
            lessons = lessons.annotate(
                completed_at=selectors.progress_of(self.request.user, "completed_at")
            )
        return lessons

    def get_serializer_class(self):
        return LessonSerializer if self.action == "retrieve" else LessonSummarySerializer

    @extend_schema(
        parameters=[OpenApiParameter("course", str, description="A course slug.")],
        responses={200: LessonSummarySerializer(many=True), 401: UNAUTHENTICATED, 400: NO_PAGE},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: LessonSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=None,
        summary="Mark a lesson complete (again is harmless)",
        responses={200: LessonSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        lesson = self.get_object()
        progress = services.complete_lesson(user=request.user, lesson=lesson)
        lesson.completed_at = progress.completed_at
        return Response(LessonSerializer(lesson).data)


class ProgressView(APIView):
    @extend_schema(
        summary="My progress in every course I started or joined",
        responses={200: CourseProgressSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request):
        courses = selectors.learner_progress(request.user)
        return Response(CourseProgressSerializer(courses, many=True).data)


class CohortViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CohortSerializer
    permission_classes = [IsInstructor]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Cohort.objects.none()
        return selectors.taught_cohorts(self.request.user).order_by("pk")

    @extend_schema(
        responses={
            200: CohortSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN, 400: NO_PAGE
        }
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={200: CohortSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("sort", str, enum=[*gradebook.SORTS], description="Row order.")
        ],
        responses={
            200: GradebookRowSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"], serializer_class=GradebookRowSerializer)
    def gradebook(self, request, pk=None):
        cohort = self.get_object()
        sort = request.query_params.get("sort", "name")
        if sort not in gradebook.SORTS:
            raise BadQuery(f"Invalid sort {sort[:40]!r}: use one of {', '.join(gradebook.SORTS)}.")
        learners = gradebook.learners(cohort, sort)
        page = self.paginate_queryset(learners)
        quizzes = gradebook.course_quizzes(cohort)
        rows = gradebook.rows_for(page, quizzes, gradebook.lesson_total(cohort))
        for row in rows:
            row.quizzes = [
                {
                    "quiz": quiz.slug,
                    "best_score": result.best if result else None,
                    "passed": bool(result and result.passed),
                    "attempts": result.attempts if result else 0,
                }
                for quiz, result in zip(quizzes, row.results, strict=True)
            ]
        return self.get_paginated_response(GradebookRowSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("quiz_id", int, OpenApiParameter.PATH)],
        summary="Item analysis of one quiz over this cohort's first attempts",
        responses={
            200: ItemAnalysisSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"quizzes/(?P<quiz_id>[0-9]+)/item-analysis",
        serializer_class=ItemAnalysisSerializer,
        pagination_class=None,
    )
    def item_analysis(self, request, pk=None, quiz_id=None):
        cohort = self.get_object()
        quiz = get_object_or_404(Quiz.objects.filter(course_id=cohort.course_id), pk=quiz_id)
        items, attempts = statistics.item_statistics(
            quiz, cohort=cohort, user_ids=selectors.cohort_learner_ids(cohort)
        )
        data = {"quiz": quiz.slug, "first_attempts": attempts, "items": items}
        return Response(ItemAnalysisSerializer(data).data)


class JoinView(APIView):
    """Join a class with the code its instructor gave."""

    throttle_scope = "join"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        request=JoinSerializer,
        responses={
            200: JoinedSerializer,
            400: OpenApiResponse(description="No such code, or it has expired: field message."),
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request):
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cohort = services.join_cohort(
                user=request.user, code=serializer.validated_data["code"], request=request
            )
        except services.CourseActionError as exc:
            raise ValidationError({"code": [str(exc)]}) from None
        return Response({"cohort": cohort.name, "course": cohort.course.slug})
