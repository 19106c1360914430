"""Writes of the LMS integration. Keyword-only; each public write is atomic.

Network calls to the platform happen in protocol.py, outside these
transactions: a service gets what the platform said, never waits for it."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from lti_tool.lti_core.utils import normalize_role
from lti_tool.utils import sync_data_from_launch

from edu.courses.models import Cohort
from edu.courses.permissions import TEACH
from edu.teaching import services as teaching
from quizzes.caching import now_and_on_commit

from . import protocol, selectors
from .models import (
    CohortLink,
    GradePost,
    PlatformAccount,
    QuizLaunch,
    RosterEntry,
    UsedNonce,
)

LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TEACHING_ROLES = {
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
}
HANDOFF_TTL = 120  # seconds a launch's hand-off link works (once)


# Launches -------------------------------------------------------------------

def _name_of(claims):
    name = (claims.get("name") or "").strip()
    if not name:
        name = " ".join(
            part.strip() for part in (claims.get("given_name"), claims.get("family_name"))
            if isinstance(part, str) and part.strip()
        )
    return name[:150]


def _email_of(claims):
    email = claims.get("email")
    if not isinstance(email, str):
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email[:254]


def account_for(*, issuer, sub, claims):
    """The one local account of a platform user (iss + sub), made on first sight with
    the name and e-mail the platform sends (when it sends them); never a password."""
    link = PlatformAccount.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    if link is not None:
        return link.user
    digest = hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()[:24]
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=f"lti-{digest}",
        defaults={"full_name": _name_of(claims), "email": _email_of(claims)},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    link, _ = PlatformAccount.objects.get_or_create(
        issuer=issuer, sub=sub, defaults={"user": user}
    )
    return link.user


def use_nonce(*, issuer, nonce, now=None):
    """A launch's nonce counts once: a replayed id_token is refused."""
    try:
        with transaction.atomic():
            UsedNonce.objects.create(issuer=issuer, nonce=str(nonce)[:255],
                                     used_at=now or timezone.now())
    except IntegrityError:
        raise protocol.LaunchRefused(protocol.EXPIRED, "nonce already used") from None


def prune_nonces(*, now=None):
    """Forget nonces older than any launch token could live."""
    now = now or timezone.now()
    return UsedNonce.objects.filter(used_at__lt=now - timedelta(days=1)).delete()[0]


def _cohort_name(context, course, registration):
    title = (context.title or context.label or context.id_on_platform or "LMS course").strip()
    return f"{title[:100]} · {registration.name[:40]}"


def cohort_for(*, context, course):
    """The cohort of an LMS course (context) taking `course`, made on first launch."""
    link = (
        CohortLink.objects.select_related("cohort").filter(context=context, course=course).first()
    )
    if link is not None:
        return link
    registration = context.deployment.registration
    name = _cohort_name(context, course, registration)
    if Cohort.objects.filter(course=course, name=name).exists():
        name = f"{name[:130]} #{context.pk}"
    cohort, _ = Cohort.objects.get_or_create(course=course, name=name)
    link, _ = CohortLink.objects.get_or_create(
        context=context, course=course, defaults={"cohort": cohort}
    )
    return link


def make_instructor(user):
    """An LMS instructor may teach here: staff with the teaching permission, and no
    more (authoring, the Instructor group, stays the site administrator's grant)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if not user.has_perm(TEACH):
        app_label, codename = TEACH.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def is_teaching_launch(launch):
    roles = {normalize_role(role) for role in launch.roles_claim or []}
    return bool(roles & TEACHING_ROLES)


def _mark_roster(*, link, user, status, now):
    RosterEntry.objects.update_or_create(
        link=link, user=user, defaults={"status": status, "changed_at": now}
    )


@transaction.atomic
def accept_launch(*, launch, resource, request=None, now=None):
    """After validation: record the launch (django-lti's tables), map the user to
    one local account and the LMS course to one cohort, give the role, and note
    where a quiz's score goes. Returns (user, link, teaching)."""
    now = now or timezone.now()
    issuer = launch.get_claim("iss")
    use_nonce(issuer=issuer, nonce=launch.get_claim("nonce"), now=now)
    sync_data_from_launch(launch)
    if not launch.deployment.is_active:
        raise protocol.LaunchRefused(
            "This deployment of the tool is not enabled here. Ask your LMS administrator to "
            "have it activated in the module's admin (LTI deployments).",
            f"deployment {launch.deployment.deployment_id!r} is not active",
        )
    claims = launch.get_launch_data()
    user = account_for(issuer=issuer, sub=claims["sub"], claims=claims)
    lti_user = launch.user
    if lti_user.auth_user_id != user.pk:
        lti_user.auth_user = user
        lti_user.save(update_fields=["auth_user"])
    teaching_role = is_teaching_launch(launch)
    link = cohort_for(context=launch.context, course=resource.course) if resource else None
    if teaching_role:
        make_instructor(user)
        if link:
            link.cohort.instructors.add(user)
    elif link:
        teaching.join(user=user, cohort=link.cohort, request=request, how="an LMS launch")
        _mark_roster(link=link, user=user, status=RosterEntry.Status.ACTIVE, now=now)
    if resource and resource.kind == "quiz" and not teaching_role:
        endpoint = protocol.ags_endpoint(launch)
        if endpoint:
            QuizLaunch.objects.update_or_create(
                user=user, quiz=resource.item, resource_link=launch.resource_link,
                defaults={
                    "registration": launch.registration,
                    "sub": claims["sub"],
                    "lineitem_url": endpoint.get("lineitem", "")[:500],
                    "lineitems_url": endpoint.get("lineitems", "")[:500],
                    "scopes": list(endpoint.get("scope", [])),
                    "launched_at": now,
                },
            )
            _mark_launched(user.pk)
    return user, link, teaching_role


def _mark_launched(user_id):
    """Tell `selectors.has_quiz_launches` at once, and again on commit."""
    now_and_on_commit(lambda: cache.set(selectors.launched_key(user_id), True, None))


def start_handoff(*, user, destination):
    """A one-time, short-lived link that finishes a launch: it proves the session
    cookie arrived, or signs the user in a new window when the LMS frame blocks
    cookies (so nobody sees a password form inside the LMS)."""
    token = secrets.token_urlsafe(32)
    cache.set(f"lti-handoff-{token}", {"user": user.pk, "to": destination}, HANDOFF_TTL)
    return token


def take_handoff(*, token):
    """The hand-off's user id and destination, once; None when unknown or used."""
    key = f"lti-handoff-{token}"
    found = cache.get(key)
    if found is None or not cache.delete(key):
        return None
    return found


def peek_handoff(*, token):
    return cache.get(f"lti-handoff-{token}")


# Grades (the outbox) ---------------------------------------------------------

def queue_grade(*, attempt):
    """Called inside the submit transaction: when the learner opened this quiz from
    an LMS link that takes scores, write the score to send. One row per attempt."""
    launch = selectors.latest_quiz_launch(user_id=attempt.user_id, quiz_id=attempt.quiz_id)
    if launch is None or attempt.score is None:
        return None
    post, _ = GradePost.objects.get_or_create(
        attempt=attempt,
        defaults={
            "registration_id": launch.registration_id,
            "resource_link": launch.resource_link,
            "sub": launch.sub,
            "lineitem_url": launch.lineitem_url,
            "lineitems_url": launch.lineitems_url,
            "scopes": launch.scopes,
            "label": attempt.quiz.title[:200],
            "score_given": attempt.score,
            "score_maximum": 100,
            "timestamp": attempt.submitted_at or timezone.now(),
            "next_try_at": attempt.submitted_at or timezone.now(),
        },
    )
    return post


def backoff(tries):
    """30 s, 1 min, 2 min, … doubling, at most LTI_GRADE_MAX_BACKOFF seconds."""
    return timedelta(seconds=min(30 * 2 ** max(tries - 1, 0), settings.LTI_GRADE_MAX_BACKOFF))


@transaction.atomic
def claim_grade(*, pk, now=None):
    """Take a due row for one send (a lease), so that two workers never send the same
    score; None when another worker has it or it was sent."""
    now = now or timezone.now()
    claimed = GradePost.objects.filter(
        pk=pk, status=GradePost.Status.PENDING, next_try_at__lte=now
    ).update(next_try_at=now + timedelta(seconds=settings.LTI_GRADE_LEASE))
    if not claimed:
        return None
    return GradePost.objects.select_related("registration", "resource_link").get(pk=pk)


@transaction.atomic
def record_sent(*, post, now=None):
    now = now or timezone.now()
    GradePost.objects.filter(pk=post.pk).update(
        status=GradePost.Status.SENT, sent_at=now, tries=post.tries + 1, last_error=""
    )


@transaction.atomic
def record_failure(*, post, error, now=None):
    now = now or timezone.now()
    tries = post.tries + 1
    GradePost.objects.filter(pk=post.pk, status=GradePost.Status.PENDING).update(
        tries=tries, last_error=str(error)[:2000], next_try_at=now + backoff(tries)
    )


def send_due_grades(*, now=None, send=None, limit=100):
    """One pass of the worker: send every due score; a failure is kept with its
    error and tried again later. Returns (sent, failed)."""
    now = now or timezone.now()
    send = send or protocol.post_score
    sent = failed = 0
    for pk in selectors.due_grades(now, limit):
        post = claim_grade(pk=pk, now=now)
        if post is None:
            continue
        try:
            send(post)
        except protocol.ServiceError as exc:
            record_failure(post=post, error=exc, now=now)
            failed += 1
        else:
            record_sent(post=post, now=now)
            sent += 1
    return sent, failed


@transaction.atomic
def retry_now(*, posts, now=None):
    """Send these unsent scores at the next pass (the admin's action)."""
    return posts.filter(status=GradePost.Status.PENDING).update(next_try_at=now or timezone.now())


# Rosters (NRPS) ----------------------------------------------------------------

@transaction.atomic
def sync_roster(*, link, members, by, request=None, now=None):
    """Bring the cohort in line with the LMS roster: new learners are added (an
    account made for each), dropped ones are marked (they keep their records).
    Returns (added, dropped)."""
    now = now or timezone.now()
    context = link.context
    issuer = context.deployment.registration.issuer
    members = [
        dict(member, status=member.get("status") or "Active", roles=member.get("roles") or [])
        for member in members if isinstance(member, dict) and member.get("user_id")
    ]
    context.update_memberships(members)
    cohort = link.cohort
    in_cohort = set(cohort.learners.values_list("pk", flat=True))
    seen, added, dropped = set(), [], []
    for member in members:
        roles = {normalize_role(role) for role in member.get("roles", [])}
        if LEARNER_ROLE not in roles or roles & TEACHING_ROLES:
            continue
        if member["status"] == "Active":
            user = account_for(issuer=issuer, sub=member["user_id"], claims=member)
            seen.add(user.pk)
            if user.pk not in in_cohort:
                cohort.learners.add(user)
                added.append(user)
            _mark_roster(link=link, user=user, status=RosterEntry.Status.ACTIVE, now=now)
    # Everyone listed before and not active now is dropped (kept in the cohort,
    # with their records, and marked).
    gone = RosterEntry.objects.filter(link=link, status=RosterEntry.Status.ACTIVE).exclude(
        user_id__in=seen
    ).select_related("user")
    for entry in list(gone):
        _mark_roster(link=link, user=entry.user, status=RosterEntry.Status.DROPPED, now=now)
        dropped.append(entry.user)
    teaching.audit_membership(actor=by, cohort=cohort, added=added, request=request)
    link.roster_synced_at = now
    link.save(update_fields=["roster_synced_at"])
    return added, dropped
