"""The LMS integration in the admin: registrations (with their deployments and
framing options), the grade outbox with each row's last error, and the links."""

from django.contrib import admin
from lti_tool.admin import LtiRegistrationAdmin
from lti_tool.models import LtiRegistration

from quizzes.admin import ReadOnlyAdmin

from . import services
from .models import CohortLink, GradePost, PlatformAccount, PlatformOptions, RosterEntry


class PlatformOptionsInline(admin.StackedInline):
    model = PlatformOptions
    can_delete = False


admin.site.unregister(LtiRegistration)


@admin.register(LtiRegistration)
class RegistrationAdmin(LtiRegistrationAdmin):
    """django-lti's registration form (issuer, client id, auth/token/keyset URLs,
    deployments), plus the origins allowed to frame the module."""

    inlines = [*LtiRegistrationAdmin.inlines, PlatformOptionsInline]


@admin.action(description="Send again at the next pass of send_grades")
def retry_now(modeladmin, request, queryset):
    count = services.retry_now(posts=queryset)
    modeladmin.message_user(request, f"{count} score(s) will be sent at the next pass.")


@admin.register(GradePost)
class GradePostAdmin(ReadOnlyAdmin):
    list_display = ("attempt", "sub", "score_given", "score_maximum", "status", "tries",
                    "next_try_at", "sent_at", "last_error")
    list_filter = ("status", "registration")
    list_select_related = ("attempt__quiz", "registration")
    search_fields = ("sub", "lineitem_url")
    actions = [retry_now]


@admin.register(PlatformAccount)
class PlatformAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "issuer", "sub", "created_at")
    search_fields = ("sub", "user__username", "user__full_name")
    list_select_related = ("user",)


@admin.register(CohortLink)
class CohortLinkAdmin(ReadOnlyAdmin):
    list_display = ("cohort", "context", "course", "roster_synced_at", "created_at")
    list_select_related = ("cohort", "context", "course")


@admin.register(RosterEntry)
class RosterEntryAdmin(ReadOnlyAdmin):
    list_display = ("user", "link", "status", "changed_at")
    list_filter = ("status",)
    list_select_related = ("user", "link__cohort")
