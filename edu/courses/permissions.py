"""Who may see instructor pages: deny by default.

Teaching is a permission (`courses.teach_cohort`), held through the Instructor
group (see edu.accounts.roles) or given to a user directly; superusers hold
every permission.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

TEACH = "courses.teach_cohort"


def is_instructor(user):
    """Staff (they author in the admin) holding the teach permission."""
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm(TEACH)


def instructor_required(view):
    """Anonymous: to the login page. Signed in but not an instructor: 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_instructor(request.user):
            raise PermissionDenied("Instructor pages are for instructors only.")
        return view(request, *args, **kwargs)

    return wrapper


class IsInstructor(BasePermission):
    """DRF: instructors only (403 for everyone else who is signed in)."""

    message = "Instructor endpoints are for instructors only."

    def has_permission(self, request, view):
        return is_instructor(request.user)
