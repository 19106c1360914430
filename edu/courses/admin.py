from django.contrib import admin

from .models import Course, Lesson, LessonProgress


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
