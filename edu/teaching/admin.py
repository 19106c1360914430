from django.contrib import admin
from django.db.models import Q

from quizzes.admin import ReadOnlyAdmin

from .models import AuditEntry, Invitation


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail: listed, never edited or deleted through the site."""

    list_display = ("at", "actor_name", "action", "cohort", "learner", "target", "ip")
    list_filter = ("action", ("cohort", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("cohort", "learner")
    search_fields = ("actor_name", "target", "learner__username")
    date_hierarchy = "at"

    def get_queryset(self, request):
        entries = super().get_queryset(request)
        if request.user.is_superuser:
            return entries
        # An instructor sees what happened in their cohorts, and what they did.
        return entries.filter(
            Q(cohort__instructors=request.user) | Q(actor=request.user)
        ).distinct()


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "cohort", "invited_by", "created_at", "accepted_at")
    list_filter = (("cohort", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("cohort", "invited_by")
    search_fields = ("email",)
    exclude = ("token",)

    def get_queryset(self, request):
        invitations = super().get_queryset(request)
        if request.user.is_superuser:
            return invitations
        return invitations.filter(cohort__instructors=request.user)
