"""The assessment engine over HTTP. Thin: the same services and selectors as
the pages; objects are scoped to their owner (another learner's attempt is 404)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import selectors, services
from .models import Attempt, Quiz
from .serializers import (
    AnswersSavedSerializer,
    AnswersSerializer,
    AttemptSerializer,
    AttemptSummarySerializer,
    ErrorSerializer,
    QuizSerializer,
    attempt_data,
    learner_questions,
)

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not authenticated.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object for this user.")
NO_PAGE = OpenApiResponse(ErrorSerializer, description="Invalid or unknown page number.")
INVALID = OpenApiResponse(description="Invalid input: field-level messages.")


class QuizViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = QuizSerializer
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        quizzes = selectors.in_path_order(
            Quiz.objects.published().select_related("course", "after_lesson")
        )
        course = self.request.query_params.get("course")
        return quizzes.filter(course__slug=course) if course else quizzes

    @extend_schema(
        parameters=[OpenApiParameter("course", str, description="A course slug.")],
        responses={200: QuizSerializer(many=True), 401: UNAUTHENTICATED, 400: NO_PAGE},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: QuizSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=None,
        summary="Start an attempt, or resume the open one",
        responses={
            200: OpenApiResponse(AttemptSerializer, description="The open attempt, resumed."),
            201: OpenApiResponse(AttemptSerializer, description="A new attempt."),
            400: OpenApiResponse(ErrorSerializer, description="The quiz has no questions."),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(ErrorSerializer, description="No attempts left."),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"])
    def attempts(self, request, pk=None):
        quiz = selectors.get_published_quiz(pk)  # (as get_object() would, from the cache)
        try:
            attempt, created = services.start_attempt(user=request.user, quiz=quiz)
        except services.QuizError as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        responses = getattr(attempt, "response_list", None) or selectors.responses_of(attempt)
        return Response(
            _attempt_data(attempt, responses),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _attempt_data(attempt, responses):
    """An attempt with its questions (AttemptSerializer's shape); the review as
    its options allow (an attempt read with its standing:
    `get_own_attempt(..., with_standing=True)` or `selectors.with_standing`)."""
    return attempt_data(attempt, responses, selectors.review_policy(attempt))


def _own(pk, request):
    return selectors.get_own_attempt(pk, request.user, with_standing=True)


class AttemptViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AttemptSummarySerializer
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Attempt.objects.none()
        return (
            Attempt.objects.filter(user=self.request.user)
            .select_related("quiz__course")
            .order_by("-started_at", "-pk")
        )

    @extend_schema(
        responses={200: AttemptSummarySerializer(many=True), 401: UNAUTHENTICATED, 400: NO_PAGE}
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="An attempt: questions in the order shown; the key only once submitted",
        responses={200: AttemptSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def retrieve(self, request, pk=None):
        attempt = _own(pk, request)
        return Response(_attempt_data(attempt, selectors.responses_of(attempt)))

    @extend_schema(
        request=AnswersSerializer,
        summary="Save answers (an empty list clears one); nothing is saved if any is invalid",
        responses={
            200: OpenApiResponse(
                AnswersSavedSerializer, description="The questions named, as now saved."
            ),
            400: INVALID,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="Already submitted."),
        },
    )
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        serializer = AnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answers = {}
        for item in serializer.validated_data["answers"]:
            if item["question"] in answers:
                message = f"Question {item['question']} is given twice."
                raise ValidationError({"answers": [message]})
            answers[item["question"]] = item["options"]
        try:
            attempt, responses = services.save_answers(
                attempt_id=pk, user=request.user, answers=answers,
                check=serializer.validated_data.get("check", ()),
            )
        except (services.AttemptClosed, services.AttemptNotFound) as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        except services.QuizError as exc:
            raise ValidationError({"answers": [str(exc)]}) from None
        return Response(
            {"id": attempt.pk, "state": attempt.state,
             "questions": learner_questions(attempt, responses)}
        )

    @extend_schema(
        request=None,
        summary="Submit for grading (submitting again returns the same result)",
        responses={200: AttemptSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        try:
            attempt, _ = services.submit_attempt(attempt_id=pk, user=request.user)
        except services.AttemptNotFound as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        return Response(_attempt_data(selectors.with_standing(attempt), attempt.response_list))
