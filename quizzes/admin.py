import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string

from . import lint
from .forms import ChoiceInlineFormSet, GiftUploadForm
from .importers import GiftImportFailed, as_gift, export_gift, import_gift
from .models import Attempt, BlueprintEntry, Choice, Question, Quiz, Response


class ChoiceInline(admin.StackedInline):
    """Stacked, so every field has its own label and the form fits the window."""

    model = Choice
    formset = ChoiceInlineFormSet
    fields = (("position", "is_correct", "weight"), "text", "feedback")
    extra = 0
    min_num = 2


class BlueprintInline(admin.TabularInline):
    model = BlueprintEntry
    fk_name = "quiz"
    fields = ("source", "count")
    extra = 0
    verbose_name = "draw from"
    verbose_name_plural = (
        "blueprint (questions drawn per attempt from each quiz; empty: the quiz's own)"
    )


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "title", "kind", "external_id")
    show_change_link = True
    extra = 0


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "position", "pass_mark", "published", "gift_links")
    list_filter = ("course", "published")
    list_editable = ("published",)
    list_select_related = ("course",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("after_lesson",)
    inlines = [BlueprintInline, QuestionInline]

    @admin.display(description="GIFT")
    def gift_links(self, quiz):
        return format_html(
            '<a href="{}">Import</a> · <a href="{}">Export</a>',
            reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk]),
            reverse("admin:quizzes_quiz_export_gift", args=[quiz.pk]),
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/import-gift/",
                self.admin_site.admin_view(self.import_gift_view),
                name="quizzes_quiz_import_gift",
            ),
            path(
                "<int:pk>/export-gift/",
                self.admin_site.admin_view(self.export_gift_view),
                name="quizzes_quiz_export_gift",
            ),
        ]
        return own + super().get_urls()

    def import_gift_view(self, request, pk):
        quiz = get_object_or_404(Quiz, pk=pk)
        if not self.has_change_permission(request, quiz):
            return HttpResponse(status=403)
        form = GiftUploadForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / Path(upload.name).name
                path.write_bytes(upload.read())
                try:
                    report = import_gift(path, quiz=quiz)
                except GiftImportFailed as exc:
                    form.add_error("file", str(exc).replace(f"{folder}/", ""))
                    status = 400
                else:
                    for line in report.lines(quiz.title):
                        level = messages.WARNING if "skipped" in line else messages.SUCCESS
                        messages.add_message(request, level, line.replace(f"{folder}/", ""))
                    return redirect("admin:quizzes_quiz_change", quiz.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import GIFT questions into “{quiz.title}”",
            "quiz": quiz,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/quizzes/import_gift.html", context, status=status)

    def export_gift_view(self, request, pk):
        quiz = get_object_or_404(Quiz, pk=pk)
        if not self.has_view_permission(request, quiz):
            return HttpResponse(status=403)
        response = HttpResponse(export_gift(quiz), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{quiz.slug}.gift.txt"'
        return response


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "quiz", "kind", "position", "external_id")
    list_filter = ("quiz__course", "quiz", "kind")
    list_select_related = ("quiz",)
    search_fields = ("title", "stem", "external_id")
    autocomplete_fields = ("lesson",)
    fields = (
        "quiz", "position", "external_id", "title", "kind", "scoring", "level", "stem",
        "general_feedback", "tags", "lesson", "lint_findings", "preview",
    )
    readonly_fields = ("lint_findings", "preview")
    inlines = [ChoiceInline]

    @admin.display(description="Item-writing check (lint_bank)")
    def lint_findings(self, question):
        if not question.pk:
            return "Save the question to check it."
        findings = lint.lint_questions([as_gift(question)], source="this question")
        if not findings:
            return "No findings."
        return format_html_join(
            "", "<p>{}: {} — {}</p>", ((f.severity, f.code, f.message) for f in findings)
        )

    @admin.display(description="Preview (as a learner sees it)")
    def preview(self, question):
        if not question.pk:
            return "Save the question to see a preview."
        return render_to_string(
            "admin/quizzes/question_preview.html",
            {"question": question, "choices": question.choices.all()},
        )


def visible_learners(request):
    """The learners whose attempts this admin user may see: all for a superuser,
    else those `settings.QUIZZES_VISIBLE_LEARNERS(user)` returns; none without it
    (deny by default)."""
    if request.user.is_superuser:
        return None
    path = getattr(settings, "QUIZZES_VISIBLE_LEARNERS", "")
    if not path:
        return get_user_model().objects.none()
    return import_string(path)(request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the application only: listed and shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LearnerScopedAdmin(admin.ModelAdmin):
    """Lists, change pages, history and actions show only visible learners' rows."""

    learner_field = "user"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        learners = visible_learners(request)
        if learners is None:
            return rows
        return rows.filter(**{f"{self.learner_field}__in": learners.values("pk")})


@admin.register(Attempt)
class AttemptAdmin(LearnerScopedAdmin):
    list_display = ("user", "quiz", "number", "state", "score", "passed", "submitted_at")
    list_filter = ("quiz", "state", "passed")
    list_select_related = ("user", "quiz")
    search_fields = ("user__username", "user__full_name")
    readonly_fields = [f.name for f in Attempt._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(LearnerScopedAdmin, ReadOnlyAdmin):
    learner_field = "attempt__user"
    list_display = ("attempt", "position", "score", "answered_at")
    list_select_related = ("attempt__user", "attempt__quiz")
    readonly_fields = [f.name for f in Response._meta.fields]


