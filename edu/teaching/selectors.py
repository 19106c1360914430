from django.shortcuts import get_object_or_404

from quizzes.models import Attempt


def attempts_in_course(learner, course_id):
    return list(
        Attempt.objects.filter(user=learner, quiz__course_id=course_id)
        .select_related("quiz")
        .order_by("quiz__position", "number")
    )


def get_learner_attempt(cohort, pk):
    """A submitted or open attempt of one of this cohort's learners, on its course."""
    return get_object_or_404(
        Attempt.objects.select_related("user", "quiz__course").filter(
            quiz__course_id=cohort.course_id, user__in=cohort.learners.all()
        ),
        pk=pk,
    )
