from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.html import format_html

from edu.teaching import services as teaching
from quizzes.admin import LearnerScopedAdmin, ReadOnlyAdmin

from . import services
from .forms import RevokeForm
from .models import (
    Certificate,
    Cohort,
    Course,
    Lesson,
    LessonProgress,
    Reference,
    new_join_code,
)


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("position", "title", "slug", "published")
    show_change_link = True
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "published", "created_at")
    list_filter = ("published",)
    list_editable = ("published",)
    search_fields = ("title", "summary")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [LessonInline]


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "course")
    list_filter = ("course",)
    search_fields = ("key", "title", "supports")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "position", "published", "reviewed_on")
    list_display_links = ("title",)
    list_editable = ("published",)
    list_filter = ("course", "published")
    list_select_related = ("course",)
    search_fields = ("title", "body", "notes")
    prepopulated_fields = {"slug": ("title",)}
    fields = (
        "course", "title", "slug", "position", "published", "body", "notes", "reviewed_on",
        "reviewer",
    )


@admin.register(LessonProgress)
class LessonProgressAdmin(LearnerScopedAdmin, ReadOnlyAdmin):
    list_display = ("user", "lesson", "first_viewed_at", "last_viewed_at", "completed_at")
    list_filter = ("lesson__course", "completed_at")
    list_select_related = ("user", "lesson")
    search_fields = ("user__username", "user__full_name", "lesson__title")
    date_hierarchy = "last_viewed_at"


def teachers():
    """Accounts that may teach (not superusers: they need no cohort to see everything)."""
    teach = Permission.objects.filter(codename="teach_cohort", content_type__app_label="courses")
    User = get_user_model()
    return User.objects.filter(
        Q(groups__permissions__in=teach) | Q(user_permissions__in=teach), is_active=True
    ).distinct()


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "course", "join_code", "join_code_expires_at", "pages")
    list_filter = ("course",)
    list_select_related = ("course",)
    search_fields = ("name", "join_code")
    fields = ("name", "course", "instructors", "learners", "join_code", "join_code_expires_at")
    actions = ["regenerate_join_code"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "join_code_expires_at":
            # One labelled input, instead of the admin's unlabelled date and time pair.
            kwargs["form_class"] = forms.DateTimeField
            kwargs["widget"] = forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Instructor pages")
    def pages(self, cohort):
        url = cohort.get_absolute_url()
        return format_html('<a href="{}">Gradebook and item analysis</a>', url)

    def get_queryset(self, request):
        cohorts = super().get_queryset(request)
        return cohorts if request.user.is_superuser else cohorts.filter(instructors=request.user)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            # Learners join by code or invitation; an instructor may only remove them.
            learners = obj.learners.all() if obj else get_user_model().objects.none()
            form.base_fields["learners"].queryset = learners
            form.base_fields["learners"].help_text = (
                "Learners join with the join code or an invitation; untick one to remove them."
            )
            form.base_fields["instructors"].queryset = teachers()
        return form

    def save_model(self, request, obj, form, change):
        obj._learners_before = set(obj.learners.all()) if change else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cohort = form.instance
        if not change and not request.user.is_superuser:
            cohort.instructors.add(request.user)  # whoever creates a class teaches it
        after = set(cohort.learners.all())
        before = getattr(cohort, "_learners_before", set())
        teaching.audit_membership(
            actor=request.user, cohort=cohort, added=sorted(after - before, key=str),
            removed=sorted(before - after, key=str), request=request,
        )

    @admin.action(description="Give the selected cohorts a new join code", permissions=["change"])
    def regenerate_join_code(self, request, queryset):
        for cohort in queryset:
            cohort.join_code = new_join_code()
            cohort.save(update_fields=["join_code"])
        self.message_user(request, f"New join code for {queryset.count()} cohort(s).")


@admin.register(Certificate)
class CertificateAdmin(LearnerScopedAdmin):
    list_display = ("name", "course", "issued_at", "revoked_at", "revoked_reason")
    list_filter = ("course", "revoked_at")
    list_select_related = ("course",)
    search_fields = ("name", "code", "user__username")
    readonly_fields = (
        "user", "course", "code", "name", "issued_at", "final_score", "final_passed_at",
        "revoked_at", "revoked_reason",
    )
    fields = readonly_fields
    actions = ["revoke", "reinstate"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("courses.revoke_certificate")

    @admin.action(description="Revoke the selected certificates…", permissions=["revoke"])
    def revoke(self, request, queryset):
        form = RevokeForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            count = services.revoke_certificates(
                certificates=queryset, reason=form.cleaned_data["reason"], by=request.user,
                request=request,
            )
            self.message_user(request, f"Revoked {count} certificate(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke certificates",
            "certificates": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/courses/certificate/revoke.html", context)

    @admin.action(description="Reinstate the selected certificates", permissions=["revoke"])
    def reinstate(self, request, queryset):
        count = services.reinstate_certificates(certificates=queryset, by=request.user,
                                                request=request)
        self.message_user(request, f"Reinstated {count} certificate(s).", messages.SUCCESS)
