from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from .models import Certificate, Cohort, Course, Lesson, LessonProgress


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


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "position", "published")
    list_display_links = ("title",)
    list_editable = ("published",)
    list_filter = ("course", "published")
    list_select_related = ("course",)
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("course", "title", "slug", "position", "published", "body")


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "first_viewed_at", "last_viewed_at", "completed_at")
    list_filter = ("lesson__course", "completed_at")
    list_select_related = ("user", "lesson")
    search_fields = ("user__username", "user__full_name", "lesson__title")
    date_hierarchy = "last_viewed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "course", "join_code", "join_code_expires_at", "pages")
    list_filter = ("course",)
    list_select_related = ("course",)
    search_fields = ("name", "join_code")
    filter_horizontal = ("instructors", "learners")

    @admin.display(description="Instructor pages")
    def pages(self, cohort):
        url = cohort.get_absolute_url()
        return format_html('<a href="{}">Gradebook and item analysis</a>', url)

    def get_queryset(self, request):
        cohorts = super().get_queryset(request)
        return cohorts if request.user.is_superuser else cohorts.filter(instructors=request.user)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("name", "course", "issued_at", "revoked_at")
    list_filter = ("course", "revoked_at")
    list_select_related = ("course",)
    search_fields = ("name", "code", "user__username")
    readonly_fields = ("user", "course", "code", "name", "issued_at", "revoked_at")
    fields = ("user", "course", "name", "code", "issued_at", "revoked_at", "revoked_reason")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected certificates")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} certificate(s).")
