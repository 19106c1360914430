"""Writes of the teaching area. Every access to a learner's records is audited."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import AuditEntry, Invitation

Action = AuditEntry.Action


def client_ip(request):
    """The address the request came from (REMOTE_ADDR; a proxy in front must set it)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit(*, actor, action, request=None, cohort=None, learner=None, target=""):
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=action,
        cohort=cohort,
        learner=learner,
        target=str(target)[:300],
        ip=client_ip(request),
    )


def audit_membership(*, actor, cohort, added=(), removed=(), request=None):
    entries = [
        AuditEntry(
            actor=actor, actor_name=actor.get_username(), action=action, cohort=cohort,
            learner=learner, target=f"{learner.get_username()} in {cohort}", ip=client_ip(request),
        )
        for action, learners in ((Action.ADD_LEARNER, added), (Action.REMOVE_LEARNER, removed))
        for learner in learners
    ]
    AuditEntry.objects.bulk_create(entries)


@transaction.atomic
def invite(*, cohort, emails, invited_by, accept_url, request=None):
    """E-mail each address a link that joins `cohort`. `accept_url(invitation)`
    makes the absolute link. Returns the invitations."""
    made = []
    for email in emails:
        invitation = Invitation.objects.create(cohort=cohort, email=email, invited_by=invited_by)
        link = accept_url(invitation)
        send_mail(
            subject=f"You are invited to {cohort.course.title}",
            message=(
                f"{invited_by.get_full_name() or invited_by.get_username()} invites you to the "
                f"class {cohort.name!r} on {cohort.course.title}.\n\n"
                f"Follow this link to sign up or log in and join the class:\n{link}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
        audit(actor=invited_by, action=Action.INVITE, request=request, cohort=cohort,
              target=f"{email} to {cohort}")
        made.append(invitation)
    return made


class InvitationError(Exception):
    pass


@transaction.atomic
def accept_invitation(*, token, user, request=None, now=None):
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_for_update().select_related("cohort__course")
        .filter(token=token).first()
    )
    if invitation is None:
        raise InvitationError(
            "This invitation link is not valid. Ask your instructor for a new one."
        )
    if invitation.accepted_at and invitation.accepted_by_id != user.pk:
        raise InvitationError("This invitation has already been used.")
    cohort = invitation.cohort
    if not invitation.accepted_at:
        invitation.accepted_at, invitation.accepted_by = now, user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        join(user=user, cohort=cohort, request=request, how=f"invitation to {invitation.email}")
    return cohort


def join(*, user, cohort, request=None, how="join code"):
    if not cohort.learners.filter(pk=user.pk).exists():
        cohort.learners.add(user)
        audit(actor=user, action=Action.JOIN, request=request, cohort=cohort, learner=user,
              target=f"{user.get_username()} joined {cohort} by {how}")
