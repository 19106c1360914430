"""One path through a course: each lesson, then the quizzes that follow it,
then the certificate. Pure: built from lessons and quizzes already loaded."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    kind: str  # "lesson", "quiz" or "certificate"
    title: str
    url: str
    pk: int | None = None

    @property
    def label(self):
        return {"lesson": "Lesson", "quiz": "Quiz"}.get(self.kind, "Finish")


def course_steps(course, lessons, quizzes):
    """Lessons in order, each followed by its quizzes; quizzes placed after no
    lesson come last; the certificate closes the path."""
    following = {}
    for quiz in quizzes:
        quiz.course = course
        following.setdefault(quiz.after_lesson_id, []).append(quiz)
    steps = []
    for lesson in lessons:
        lesson.course = course
        steps.append(Step("lesson", lesson.title, lesson.get_absolute_url(), lesson.pk))
        steps += [_quiz(q) for q in following.pop(lesson.pk, [])]
    steps += [_quiz(q) for group in following.values() for q in group]
    certificate = f"{course.get_absolute_url()}#certificate"
    steps.append(Step("certificate", "Your certificate", certificate))
    return steps


def _quiz(quiz):
    return Step("quiz", quiz.title, quiz.get_absolute_url(), quiz.pk)


def _index(steps, kind, pk):
    return next(i for i, step in enumerate(steps) if step.kind == kind and step.pk == pk)


def neighbours(steps, kind, pk):
    """(previous step, next step) around the step for this lesson or quiz."""
    index = _index(steps, kind, pk)
    previous = steps[index - 1] if index > 0 else None
    return previous, steps[index + 1] if index + 1 < len(steps) else None


def quizzes_after(steps, lesson_pk):
    """The quizzes that follow a lesson (its own quizzes)."""
    following = []
    for step in steps[_index(steps, "lesson", lesson_pk) + 1:]:
        if step.kind != "quiz":
            break
        following.append(step)
    return following
