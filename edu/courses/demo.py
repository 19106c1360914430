"""Demo and benchmark data: many learners with progress, attempts and responses.

Bulk inserts in batches, deterministic for a given seed. Each learner has an
ability and each question a difficulty, so answers look like a real class's
(item statistics discriminate, scores spread). Everyone's password is the one
given, so a load generator can log in.
"""

import math
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from quizzes import scoring
from quizzes.caching import question_pool
from quizzes.models import Attempt, Quiz, Response
from quizzes.selectors import questions_per_attempt
from quizzes.services import snapshot_of

from .models import Cohort, Course, LessonProgress

FIRST = ["Ada", "Noor", "Kwame", "Mei", "Lucía", "Ivan", "Aroha", "Sven", "Zoë", "Ravi",
         "Fatima", "Tomás", "Yuki", "Olu", "Ζωή", "Дарья", "Chen", "Amara", "Jonas", "Leila"]
LAST = ["Okafor", "Haddad", "Nguyen", "García", "Kowalski", "Tanaka", "Smith", "Müller",
        "Papadopoulou", "Ivanova", "Singh", "Silva", "O'Hara", "Kim", "Mensah", "Berg"]
BATCH = 5000


def _batches(items, size=BATCH):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pick(rng, snapshot, correct):
    choices = snapshot["choices"]
    key = [c["id"] for c in choices if c["correct"]]
    wrong = [c["id"] for c in choices if not c["correct"]]
    if correct or not wrong:
        return sorted(key)
    if snapshot["kind"] == "single":
        return [rng.choice(wrong)]
    picked = set(key)
    picked.discard(rng.choice(key))
    picked.add(rng.choice(wrong))
    return sorted(picked)


@transaction.atomic
def seed_demo(*, learners, cohorts, attempts_per_learner, seed=1, course_slug="klonopin",
              quiz_slug="final-assessment", password="demo-password", prefix="learner",
              log=print):
    rng = random.Random(seed)
    now = timezone.now()
    course = Course.objects.get(slug=course_slug)
    quiz = Quiz.objects.get(course=course, slug=quiz_slug)
    lessons = list(course.lessons.published())
    User = get_user_model()
    hashed = make_password(password)

    start = User.objects.filter(username__startswith=prefix).count()
    users = [
        User(
            username=f"{prefix}{n:06d}",
            full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            email=f"{prefix}{n:06d}@example.edu",
            password=hashed,
        )
        for n in range(start, start + learners)
    ]
    for batch in _batches(users):
        User.objects.bulk_create(batch)
    users = list(
        User.objects.filter(username__in=[u.username for u in users]).order_by("username")
    )
    log(f"{len(users)} learners")

    group = Group.objects.get(name="Instructor")
    made = []
    for k in range(cohorts):
        instructor, _ = User.objects.get_or_create(
            username=f"instructor{k:03d}",
            defaults={"full_name": f"Instructor {k}", "is_staff": True, "password": hashed},
        )
        instructor.groups.add(group)
        cohort = Cohort.objects.create(name=f"Cohort {start + k:03d}-{seed}", course=course)
        cohort.instructors.add(instructor)
        made.append(cohort)
    director, _ = User.objects.get_or_create(
        username="director",
        defaults={"full_name": "Program director", "is_staff": True, "password": hashed},
    )
    director.groups.add(group)
    program, _ = Cohort.objects.get_or_create(name="Whole program", course=course)
    program.instructors.add(director)
    Membership = Cohort.learners.through
    memberships = [
        Membership(cohort_id=made[n % len(made)].pk, user_id=u.pk)
        for n, u in enumerate(users) if made
    ] + [Membership(cohort_id=program.pk, user_id=u.pk) for u in users]
    for batch in _batches(memberships):
        Membership.objects.bulk_create(batch, ignore_conflicts=True)
    log(f"{len(made)} cohorts, and the whole program in one")

    ability = {u.pk: rng.gauss(0, 1) for u in users}
    progress = []
    for user in users:
        done = rng.randint(0, len(lessons))
        for lesson in lessons[: max(done, 1)]:
            seen = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 1440))
            progress.append(
                LessonProgress(
                    user_id=user.pk, lesson_id=lesson.pk, first_viewed_at=seen,
                    last_viewed_at=seen, completed_at=seen if lesson in lessons[:done] else None,
                )
            )
    for batch in _batches(progress):
        LessonProgress.objects.bulk_create(batch)
    log(f"{len(progress)} lesson progress rows")

    pool = question_pool(quiz)
    snapshots = {q.pk: snapshot_of(q, list(q.choices.all())) for q in pool}
    difficulty = {q.pk: rng.gauss(-0.3, 0.8) for q in pool}
    lesson_of = {q.pk: q.lesson_id for q in pool}
    draw = min(questions_per_attempt(quiz), len(pool))
    total_responses = 0
    for users_batch in _batches(users, 1000):
        attempts, answers = [], []
        for user in users_batch:
            for number in range(1, attempts_per_learner + 1):
                started = now - timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 1440))
                questions = rng.sample(pool, draw)
                scores, rows = [], []
                for position, question in enumerate(questions, start=1):
                    snap = snapshots[question.pk]
                    chance = 1 / (1 + math.exp(-1.7 * (ability[user.pk] + 0.3 * number
                                                       - difficulty[question.pk])))
                    selected = _pick(rng, snap, rng.random() < chance)
                    score = scoring.score_response(snap, selected)
                    scores.append(score)
                    rows.append((question.pk, position, snap, selected, score))
                percent = scoring.attempt_percent(scores)
                topics = scoring.topic_points(
                    (question.tags, score, question.lesson_id)
                    for question, score in zip(questions, scores, strict=True)
                )
                attempts.append(
                    Attempt(user_id=user.pk, quiz_id=quiz.pk, number=number,
                            state=Attempt.State.SUBMITTED, submitted_at=started + timedelta(
                                minutes=rng.randint(5, 40)),
                            score=percent, passed=scoring.passed(percent, quiz.pass_mark),
                            points=sum(scores, scoring.ZERO), topics=topics)
                )
                answers.append((started, rows))
        Attempt.objects.bulk_create(attempts)
        responses = []
        for attempt, (started, rows) in zip(attempts, answers, strict=True):
            for question_id, position, snap, selected, score in rows:
                responses.append(
                    Response(attempt_id=attempt.pk, question_id=question_id,
                             lesson_id=lesson_of[question_id], position=position, snapshot=snap,
                             selected=selected, answered_at=started, score=score)
                )
        for batch in _batches(responses):
            Response.objects.bulk_create(batch)
        total_responses += len(responses)
    log(f"{len(users) * attempts_per_learner} attempts, {total_responses} responses")
    if connection.vendor == "postgresql":
        # After a bulk load the planner's statistics are stale: refresh them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"learners": len(users), "responses": total_responses}
