"""The klonopin question bank follows the course's item-writing rules."""

import pytest

from quizzes.models import Choice, Question, Quiz

FIRST_THREE = ["how-clonazepam-works", "indications", "withdrawal-safety"]


@pytest.mark.django_db
def test_quizzes_exist_with_enough_questions(klonopin):
    quizzes = {q.slug: q for q in Quiz.objects.filter(course=klonopin)}
    assert set(quizzes) == {*FIRST_THREE, "dependence-and-misuse", "final-assessment"}
    for slug in FIRST_THREE:
        assert quizzes[slug].questions.count() >= 8, slug
    assert quizzes["dependence-and-misuse"].questions.count() >= 5
    final = quizzes["final-assessment"]
    assert final.questions_per_attempt == 10
    assert set(final.draws_from.values_list("slug", flat=True)) == {
        *FIRST_THREE, "dependence-and-misuse"
    }
    assert quizzes["how-clonazepam-works"].after_lesson.slug == "how-klonopin-works"
    assert quizzes["withdrawal-safety"].after_lesson.slug == "withdrawal-and-safety-concerns"


@pytest.mark.django_db
def test_every_question_is_tagged_linked_and_explained(klonopin):
    questions = Question.objects.filter(quiz__course=klonopin).select_related("lesson")
    assert questions.filter(kind="multiple").count() >= 5
    for question in questions:
        label = question.external_id
        assert question.external_id, question.stem
        assert question.tags, label
        assert question.lesson is not None and question.lesson.course_id == klonopin.pk, label
        assert question.general_feedback, label
        choices = list(question.choices.all())
        assert all(c.feedback for c in choices), label
        correct = [c for c in choices if c.is_correct]
        if question.kind == "single":
            assert len(correct) == 1, label
        else:
            assert correct and question.scoring == "plus_minus", label
        texts = [c.text.lower() for c in choices]
        assert not any("all of the above" in t or "none of the above" in t for t in texts), label


@pytest.mark.django_db
def test_single_answer_keys_appear_in_the_lesson_vocabulary(klonopin):
    """A coarse guard, not a substitute for review: every key of a single-answer
    question shares a content word with the lesson it links to."""
    stop = {"the", "and", "of", "a", "to", "in", "its", "it", "as", "for", "with", "than"}
    for choice in Choice.objects.filter(
        question__quiz__course=klonopin, question__kind="single", is_correct=True
    ).select_related("question__lesson"):
        lesson_words = set(choice.question.lesson.body.lower().replace("’", "'").split())
        lesson_words |= {w.strip(".,:;()") for w in lesson_words}
        words = {w.strip(".,()").lower() for w in choice.text.split()} - stop
        if choice.text in ("True", "False"):
            continue
        assert words & lesson_words, (choice.question.external_id, choice.text)
