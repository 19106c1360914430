from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from edu.teaching import services as teaching
from edu.throttling import throttle_posts
from quizzes import statistics
from quizzes.models import Quiz

from . import caching, certificates, gradebook, path, selectors, services
from .models import Lesson
from .permissions import instructor_required, is_instructor


@login_required
def start(request):
    """Where a login lands: the teaching area for instructors, progress for learners."""
    return redirect("courses:teach" if is_instructor(request.user) else "courses:dashboard")


def home(request):
    return render(request, "courses/home.html", {"courses": selectors.published_courses()})


def course_detail(request, slug):
    outline = caching.outline(slug)
    if outline is None:
        raise Http404("No such course.")
    course = outline.course
    if request.user.is_authenticated:
        course = selectors.learner_courses(request.user, [outline])[0]
        lessons, quizzes, topics = course.lesson_list, course.quiz_list, course.topics
        completed, passed, complete = (
            course.completed_count, course.quizzes_passed, course.complete
        )
    else:
        lessons, quizzes, topics = outline.lessons, outline.quizzes, []
        completed, passed, complete = 0, 0, False
    after = {}
    for quiz in quizzes:
        after.setdefault(quiz.after_lesson_id, []).append(quiz)
    for lesson in lessons:
        lesson.quizzes = after.pop(lesson.pk, [])
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "lessons": lessons,
            "unplaced_quizzes": [q for group in after.values() for q in group],
            "topics": topics,
            "completed": completed,
            "total": len(lessons),
            "quizzes_passed": passed,
            "quiz_total": len(quizzes),
            "complete": complete,
            "certificate": getattr(course, "certificate", None),
        },
    )


def lesson_detail(request, course_slug, slug):
    """The lesson as every learner sees it comes rendered from the cache; the
    learner's own part is one query (and at most one write per few minutes)."""
    page = caching.lesson_page(course_slug, slug)
    if page is None:
        raise Http404("No such lesson.")
    completed_at = None
    if request.user.is_authenticated:
        viewed_at, completed_at = selectors.lesson_progress(request.user, page.lesson_id)
        services.record_lesson_view(
            user=request.user, lesson_id=page.lesson_id, last_viewed_at=viewed_at
        )
    return render(
        request, "courses/lesson_detail.html", {"page": page, "completed_at": completed_at}
    )


def continue_path(request, slug):
    """Follow the course's path from a step (`?after=quiz-12`) to the next one."""
    outline = caching.outline(slug)
    if outline is None:
        raise Http404("No such course.")
    course, steps = outline.course, outline.steps
    kind, _, pk = request.GET.get("after", "").partition("-")
    if not pk.isdigit() or not any(s.kind == kind and s.pk == int(pk) for s in steps):
        return redirect(course)
    _, following = path.neighbours(steps, kind, int(pk))
    return redirect(following.url if following else course.get_absolute_url())


def references(request, slug):
    course = selectors.get_published_course(slug)
    return render(
        request,
        "courses/references.html",
        {"course": course, "references": selectors.references_of(course)},
    )


@require_POST
@login_required
def lesson_complete(request, course_slug, slug):
    lesson = get_object_or_404(
        Lesson.objects.published().filter(course__published=True).select_related("course"),
        course__slug=course_slug,
        slug=slug,
    )
    services.complete_lesson(user=request.user, lesson=lesson)
    messages.success(request, f"“{lesson.title}” marked as complete.")
    steps = caching.outline(course_slug).steps
    _, following = path.neighbours(steps, "lesson", lesson.pk)
    return redirect(following.url if following else lesson.get_absolute_url())


@login_required
def dashboard(request):
    courses = selectors.learner_progress(request.user)
    return render(request, "courses/dashboard.html", {"courses": courses})


@login_required
@throttle_posts("join", "Too many join codes tried.")
def join(request):
    error = None
    if request.method == "POST":
        try:
            cohort = services.join_cohort(
                user=request.user, code=request.POST.get("code"), request=request
            )
        except services.CourseActionError as exc:
            error = str(exc)
        else:
            messages.success(request, f"You joined {cohort.name}.")
            return redirect(cohort.course)
    status = 400 if error else 200
    return render(request, "courses/join.html", {"error": error}, status=status)


@require_POST
@login_required
def certificate_claim(request, slug):
    course = selectors.get_published_course(slug)
    try:
        certificate = services.issue_certificate(user=request.user, course=course)
    except services.CourseActionError as exc:
        messages.error(request, str(exc))
        return redirect(course)
    return redirect(certificate)


def _verify_url(request, certificate):
    return request.build_absolute_uri(
        reverse("courses:verify", kwargs={"code": certificate.code})
    )


@login_required
def certificate_detail(request, code):
    certificate = selectors.get_own_certificate(request.user, code)
    return render(
        request,
        "courses/certificate.html",
        {"certificate": certificate, "verify_url": _verify_url(request, certificate)},
    )


@login_required
def certificate_pdf(request, code):
    certificate = selectors.get_own_certificate(request.user, code)
    if certificate.is_revoked:
        return render(request, "courses/certificate.html", {
            "certificate": certificate, "verify_url": _verify_url(request, certificate),
        }, status=410)
    pdf = certificates.render_pdf(certificate, verify_url=_verify_url(request, certificate))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


def verify(request, code):
    certificate = selectors.get_certificate(code)
    return render(request, "courses/verify.html", {"certificate": certificate})


@instructor_required
def teach(request):
    return render(
        request, "courses/teach.html", {"cohorts": selectors.taught_cohorts(request.user)}
    )


GRADEBOOK_PAGE_SIZE = 50


@instructor_required
def gradebook_view(request, pk):
    cohort = selectors.get_taught_cohort(request.user, pk)
    sort = request.GET.get("sort", "name")
    sort = sort if sort in gradebook.SORTS else "name"
    paginator = Paginator(gradebook.learners(cohort, sort), GRADEBOOK_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    quizzes = gradebook.course_quizzes(cohort)
    total = gradebook.lesson_total(cohort)
    return render(
        request,
        "courses/gradebook.html",
        {
            "cohort": cohort,
            "page": page,
            "rows": gradebook.rows_for(page.object_list, quizzes, total),
            "quizzes": quizzes,
            "total_lessons": total,
            "sort": sort,
        },
    )


@instructor_required
def gradebook_csv(request, pk):
    cohort = selectors.get_taught_cohort(request.user, pk)
    teaching.audit(actor=request.user, action=teaching.Action.EXPORT_GRADEBOOK, request=request,
                   cohort=cohort, target=f"gradebook CSV of {cohort}")
    response = StreamingHttpResponse(
        gradebook.csv_lines(cohort), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="gradebook-cohort-{cohort.pk}.csv"'
    return response


@instructor_required
def item_analysis(request, pk, quiz_pk):
    cohort = selectors.get_taught_cohort(request.user, pk)
    quiz = get_object_or_404(Quiz.objects.filter(course_id=cohort.course_id), pk=quiz_pk)
    items, attempts = statistics.item_statistics(
        quiz, cohort=cohort, user_ids=selectors.cohort_learner_ids(cohort)
    )
    return render(
        request,
        "courses/item_analysis.html",
        {
            "cohort": cohort,
            "quiz": quiz,
            "items": items,
            "attempts": attempts,
            "quizzes": gradebook.course_quizzes(cohort),
            "chart": _chart(items),
            "chart_height": 40 + 30 * len(items),
            "min_to_judge": statistics.MIN_TO_JUDGE,
        },
    )


def _chart(items):
    """Bar geometry for the item-analysis SVG: facility 0..100 drawn 0..200 px from
    x=40; discrimination -100..100 drawn 100 px either side of x=460."""
    bars = []
    for n, item in enumerate(items):
        facility = item.facility or 0
        discrimination = item.discrimination
        width = abs(discrimination or 0)
        bars.append(
            {
                "y": 30 + 30 * n,
                "facility": facility,
                "facility_width": round(2 * facility, 1),
                "facility_text_x": round(46 + 2 * facility, 1),
                "has_discrimination": discrimination is not None,
                "discrimination": discrimination,
                "negative": (discrimination or 0) < 0,
                "disc_x": round(460 - width if (discrimination or 0) < 0 else 460, 1),
                "disc_width": round(width, 1),
                "disc_text_x": 566 if (discrimination or 0) >= 0 else 300,
            }
        )
    return bars
