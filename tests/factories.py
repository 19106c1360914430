import factory
from django.contrib.auth import get_user_model

from edu.courses.models import Course, Lesson


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    full_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A test course."
    published = True


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    position = factory.Sequence(lambda n: n + 1)
    body = "A paragraph of text.\n\n• First point.\n• Second point."
    published = True


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Quiz"

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    pass_mark = 50
    shuffle_questions = False
    shuffle_choices = False


class QuestionFactory(factory.django.DjangoModelFactory):
    """A single-answer question with options A (correct), B, C and D."""

    class Meta:
        model = "quizzes.Question"
        skip_postgeneration_save = True

    quiz = factory.SubFactory(QuizFactory)
    stem = factory.Sequence(lambda n: f"Question stem {n}?")
    general_feedback = "GENERAL-RATIONALE"
    tags = factory.LazyFunction(lambda: ["topic-a"])
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def options(obj, create, extracted, **kwargs):
        from quizzes.models import Choice

        if not create:
            return
        spec = extracted or [("A", True), ("B", False), ("C", False), ("D", False)]
        for n, (text, correct) in enumerate(spec, start=1):
            Choice.objects.create(
                question=obj,
                position=n,
                text=f"{text}-text",
                is_correct=correct,
                weight=100 if correct and obj.kind == "single" else 0,
                feedback=f"FEEDBACK-{text}",
            )


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courses.Cohort"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cohort {n}")
    course = factory.SubFactory(CourseFactory)


def make_instructor(username, **fields):
    from django.contrib.auth.models import Group

    user = UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Instructor"))
    return user


def key_answers(attempt):
    """Every question of the attempt answered with its key (as the page names
    options: by their per-attempt tokens)."""
    return {
        r.pk: [c["token"] for c in r.snapshot["choices"] if c["correct"]]
        for r in attempt.responses.all()
    }


def pass_quiz(user, quiz):
    """The learner takes the quiz and submits every key: the graded attempt."""
    from quizzes import services

    attempt, _ = services.start_attempt(user=user, quiz=quiz)
    graded, _ = services.submit_attempt(attempt_id=attempt.pk, answers=key_answers(attempt))
    return graded
