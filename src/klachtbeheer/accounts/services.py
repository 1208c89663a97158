"""Every change to an account, each in one durable transaction with its audit row.

The quality manager invites colleagues, gives and takes roles and districts,
deactivates (which ends that person's sessions, personal API tokens and service
tokens at once), unblocks a locked sign-in and resets a second factor. Staff set
up their own second factor. Service accounts are integrations with a token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from klachtbeheer.accounts.models import ServiceAccount, ServiceScope
from klachtbeheer.core import clock
from klachtbeheer.core.audit import audit
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.core.models import AuditAction
from klachtbeheer.intake.models import IntakeApiKey, StaffToken
from klachtbeheer.organisation.models import District, Role, StaffProfile
from klachtbeheer.organisation.selectors import people, role_of

RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"
TOTP_DEVICE = "authenticator"


def _require_quality_manager(actor) -> None:
    if role_of(actor) != Role.QUALITY_MANAGER:
        raise NotAllowed("not_quality_manager", _("Only the quality manager manages accounts."))


def _locked_user(user_id: int):
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None or hasattr(user, "service_account"):
        raise NotFoundOrNoAccess("not_found", _("There is no such colleague."))
    return user


# --- e-mail with a link to set a password ---------------------------------------------


def password_link(request_base: str, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_set", kwargs={"uidb64": uid, "token": token})
    return f"{request_base.rstrip('/')}{path}"


def _send_password_link(user, *, base_url: str, invitation: bool) -> None:
    """The link goes straight to the colleague, never through the outbox others can read."""
    context = {
        "user": user,
        "link": password_link(base_url, user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "invitation": invitation,
    }
    message = EmailMessage(
        subject=_("Your account for Klachtbeheer")
        if invitation
        else _("Set a new password for Klachtbeheer"),
        body=render_to_string("accounts/email/password_link.txt", context),
        to=[user.email],
    )
    message.send()


# --- the quality manager's changes ------------------------------------------------------


@transaction.atomic(durable=True)
def user_invite(
    *,
    actor,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    districts: Iterable[District] = (),
    base_url: str,
):
    """A new colleague without a password; the e-mail's link sets one (then the second factor)."""
    _require_quality_manager(actor)
    User = get_user_model()
    email = email.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ProcedureError("email_taken", _("A colleague with this e-mail address exists."))
    username = email.lower()[:150]
    if User.objects.filter(username=username).exists():
        raise ProcedureError("email_taken", _("A colleague with this e-mail address exists."))
    user = User.objects.create_user(
        username=username, email=email, first_name=first_name, last_name=last_name
    )  # create_user without a password: unusable until the link is followed
    StaffProfile.objects.create(user=user, role=role)
    audit(actor=actor, action=AuditAction.ACCOUNT_INVITED, target=user, role=role)
    _set_districts(actor, user, districts)
    transaction.on_commit(lambda: _send_password_link(user, base_url=base_url, invitation=True))
    return user


def _set_districts(actor, user, districts: Iterable[District]) -> None:
    wanted = {district.pk for district in districts}
    current = set(District.objects.filter(manager=user).values_list("pk", flat=True))
    if wanted == current:
        return
    District.objects.filter(pk__in=current - wanted).update(manager=None)
    District.objects.filter(pk__in=wanted - current).update(manager=user)
    audit(
        actor=actor,
        action=AuditAction.ACCOUNT_DISTRICTS_CHANGED,
        target=user,
        added=sorted(
            District.objects.filter(pk__in=wanted - current).values_list("name", flat=True)
        ),
        removed=sorted(
            District.objects.filter(pk__in=current - wanted).values_list("name", flat=True)
        ),
    )


@transaction.atomic(durable=True)
def user_change(
    *, actor, user_id: int, role: str, districts: Iterable[District], job_title: str = ""
):
    """Give or take a role and the districts someone manages."""
    _require_quality_manager(actor)
    user = _locked_user(user_id)
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    if profile.role != role:
        if user.pk == actor.pk and role != Role.QUALITY_MANAGER:
            raise NotAllowed(
                "own_role", _("You cannot take the quality manager's role from yourself.")
            )
        audit(
            actor=actor,
            action=AuditAction.ACCOUNT_ROLE_CHANGED,
            target=user,
            old=profile.role,
            new=role,
        )
        profile.role = role
    profile.job_title = job_title
    profile.save()
    districts = list(districts)
    if districts and role != Role.DISTRICT_MANAGER:
        raise ProcedureError("districts_need_role", _("Only a district manager manages districts."))
    _set_districts(actor, user, districts)
    return user


def end_sessions(user) -> int:
    """Delete every session of `user` (the session store has no index by user: all are read)."""
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=clock.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic(durable=True)
def user_deactivate(*, actor, user_id: int) -> int:
    """No sign-in any more; sessions and personal API tokens end now. Returns sessions ended."""
    _require_quality_manager(actor)
    user = _locked_user(user_id)
    if user.pk == actor.pk:
        raise NotAllowed("own_account", _("You cannot deactivate yourself."))
    if not user.is_active:
        return 0
    user.is_active = False
    user.save(update_fields=["is_active"])
    now = clock.now()
    tokens = StaffToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    sessions = end_sessions(user)
    audit(
        actor=actor,
        action=AuditAction.ACCOUNT_DEACTIVATED,
        target=user,
        sessions_ended=sessions,
        tokens_revoked=tokens,
    )
    return sessions


@transaction.atomic(durable=True)
def user_reactivate(*, actor, user_id: int) -> None:
    _require_quality_manager(actor)
    user = _locked_user(user_id)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit(actor=actor, action=AuditAction.ACCOUNT_REACTIVATED, target=user)


@transaction.atomic(durable=True)
def user_send_password_reset(*, actor, user_id: int | None = None, user=None, base_url: str):
    """A link to set a new password, by e-mail (asked by the quality manager or the user)."""
    if user is None:
        _require_quality_manager(actor)
        user = _locked_user(user_id)
    if not user.is_active or not user.email:
        return
    audit(actor=actor, action=AuditAction.ACCOUNT_PASSWORD_RESET_SENT, target=user)
    transaction.on_commit(lambda: _send_password_link(user, base_url=base_url, invitation=False))


@transaction.atomic(durable=True)
def user_password_set(*, user, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    audit(actor=user, action=AuditAction.ACCOUNT_PASSWORD_SET, target=user)


def locked_usernames() -> set[str]:
    """User names whose sign-in is blocked now, across addresses (django-axes counts so)."""
    return set(_locked("username"))


def _locked(field: str) -> list[str]:
    since = clock.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return [
        value
        for value in AccessAttempt.objects.filter(attempt_time__gte=since)
        .exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list(field, flat=True)
        if value
    ]


def locked_addresses() -> list[str]:
    """Addresses blocked now, across user names (django-axes)."""
    return sorted(_locked("ip_address"))


@transaction.atomic(durable=True)
def user_unlock(*, actor, user_id: int) -> int:
    """Lift the lock-out of this user name (from every address). Returns attempts removed."""
    _require_quality_manager(actor)
    user = _locked_user(user_id)
    removed, _by_model = AccessAttempt.objects.filter(username=user.get_username()).delete()
    audit(actor=actor, action=AuditAction.ACCOUNT_UNLOCKED, target=user, attempts=removed)
    return removed


@transaction.atomic(durable=True)
def address_unlock(*, actor, address: str) -> int:
    """Lift the lock-out of one address (across user names)."""
    _require_quality_manager(actor)
    removed, _by_model = AccessAttempt.objects.filter(ip_address=address).delete()
    audit(actor=actor, action=AuditAction.ACCOUNT_UNLOCKED, target=actor, attempts=removed)
    return removed


# --- the second factor --------------------------------------------------------------------


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_for_setup(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (a new secret each time it is missing)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE, confirmed=False)
    return device


@transaction.atomic(durable=True)
def two_factor_confirm(*, user, code: str) -> list[str] | None:
    """Confirm the authenticator with its first code; the recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token((code or "").replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit(actor=user, action=AuditAction.ACCOUNT_TWO_FACTOR_SET_UP, target=user)
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic(durable=True)
def recovery_codes_renew(*, user) -> list[str]:
    codes = _new_recovery_codes(user)
    audit(actor=user, action=AuditAction.ACCOUNT_TWO_FACTOR_SET_UP, target=user, renewed=True)
    return codes


def second_factor_check(user, code: str):
    """The device that accepts `code` (authenticator first, then a recovery code), or None."""
    code = (code or "").replace(" ", "").strip()
    if not code:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(code):
            return device
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(code):
            audit(actor=user, action=AuditAction.ACCOUNT_RECOVERY_CODE_USED, target=user)
            return device
    return None


@transaction.atomic(durable=True)
def two_factor_reset(*, actor, user_id: int) -> None:
    """Remove someone's second factor: they set up a new one at their next sign-in."""
    _require_quality_manager(actor)
    user = _locked_user(user_id)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    end_sessions(user)
    audit(actor=actor, action=AuditAction.ACCOUNT_TWO_FACTOR_RESET, target=user)


# --- service accounts ---------------------------------------------------------------------

SERVICE_PREFIX = "kbk_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def quality_managers_to_ask():
    """The quality managers a colleague without a role can ask for one (people, with e-mail)."""
    return list(
        people()
        .filter(staff_profile__role=Role.QUALITY_MANAGER)
        .exclude(email="")
        .order_by("first_name", "last_name", "pk")
    )


@transaction.atomic(durable=True)
def service_account_create(
    *, actor, name: str, scope: str, days: int, role: str = Role.BOARD
) -> tuple[ServiceAccount, str]:
    """An integration's account with one token (shown once); read and steps act as `role`."""
    _require_quality_manager(actor)
    name = (name or "").strip()[:100]
    if not name:
        raise ProcedureError("name_required", _("Give the service account a name."))
    if ServiceAccount.objects.filter(name=name).exists():
        raise ProcedureError("name_taken", _("A service account with this name exists."))
    if not 1 <= days <= 730:
        raise ProcedureError("days", _("A token is valid for 1 to 730 days."))
    secret = SERVICE_PREFIX + secrets.token_urlsafe(32)
    account = ServiceAccount(
        name=name,
        scope=scope,
        prefix=secret[:10],
        key_hash=_hash(secret),
        created_by=actor,
        expires_at=clock.now() + dt.timedelta(days=days),
    )
    if scope == ServiceScope.INTAKE:
        account.intake_key = IntakeApiKey.objects.create(
            name=f"{name} ({_('service account')})"[:100],
            prefix=secret[:10],
            key_hash=account.key_hash,
        )
    else:
        if role not in (Role.QUALITY_MANAGER, Role.BOARD):
            raise ProcedureError("role", _("A service account reads as quality manager or board."))
        user = get_user_model().objects.create_user(
            username=f"service-{secrets.token_hex(6)}", first_name=name[:150]
        )
        StaffProfile.objects.create(user=user, role=role, job_title=_("service account"))
        account.user = user
    account.save()
    audit(
        actor=actor,
        action=AuditAction.SERVICE_ACCOUNT_CREATED,
        target=account,
        scope=scope,
        expires_at=account.expires_at.isoformat(),
    )
    return account, secret


@transaction.atomic(durable=True)
def service_account_revoke(*, actor, account_id: int) -> None:
    _require_quality_manager(actor)
    account = ServiceAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFoundOrNoAccess("not_found", _("There is no such service account."))
    if account.revoked_at is not None:
        return
    account.revoked_at = clock.now()
    account.save(update_fields=["revoked_at"])
    if account.intake_key_id:
        IntakeApiKey.objects.filter(pk=account.intake_key_id).update(is_active=False)
    if account.user_id:
        get_user_model().objects.filter(pk=account.user_id).update(is_active=False)
    audit(actor=actor, action=AuditAction.SERVICE_ACCOUNT_REVOKED, target=account)


READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def service_user_for(secret: str, *, method: str) -> AbstractBaseUser | None:
    """The user a read or steps token acts as (None: no such usable token); NotAllowed
    when a read-only token asks to change something.

    The last use is written at most once per SERVICE_TOKEN_LAST_USED_SECONDS per token
    (one conditional UPDATE that touches no row when it was written recently), never on
    every request.
    """
    if not (secret or "").startswith(SERVICE_PREFIX):
        return None
    now = clock.now()
    account = (
        ServiceAccount.objects.select_related("user", "user__staff_profile")
        .filter(
            key_hash=_hash(secret),
            revoked_at__isnull=True,
            expires_at__gt=now,
            scope__in=[ServiceScope.READ, ServiceScope.STEPS],
        )
        .first()
    )
    if account is None or account.user is None or not account.user.is_active:
        return None
    touch_last_used(account, now)
    if account.scope == ServiceScope.READ and method.upper() not in READ_METHODS:
        raise NotAllowed("read_only_token", _("This service account may only read."))
    return account.user


def touch_last_used(account: ServiceAccount, now: dt.datetime) -> bool:
    """Record the use when the last one recorded is older than the interval."""
    interval = dt.timedelta(seconds=settings.SERVICE_TOKEN_LAST_USED_SECONDS)
    if account.last_used_at is not None and account.last_used_at > now - interval:
        return False
    ServiceAccount.objects.filter(pk=account.pk).update(last_used_at=now)
    account.last_used_at = now
    return True
