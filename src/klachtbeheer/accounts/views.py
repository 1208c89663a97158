"""Signing in and accounts: the second factor, single sign-on, passwords, user management."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from klachtbeheer.accounts import oidc, services
from klachtbeheer.accounts.forms import (
    CodeForm,
    InviteForm,
    PasswordResetRequestForm,
    ServiceAccountForm,
    SetupForm,
    UserForm,
)
from klachtbeheer.accounts.models import ServiceAccount
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.intake import ratelimit
from klachtbeheer.organisation.models import District, Role, StaffProfile
from klachtbeheer.organisation.selectors import role_of

CODES_SESSION_KEY = "accounts_recovery_codes"
SECRET_SESSION_KEY = "accounts_service_secret"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- the second factor ----------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enter the code of the authenticator (or a recovery code) after the password."""
    if not services.has_second_factor(request.user):
        return redirect(f"{reverse('accounts:two_factor_setup')}?next={_next_url(request)}")
    if request.user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        device = services.second_factor_check(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", _("This code is not right. Try the code the app shows now."))
    if form.errors:
        status = 400
    return render(
        request,
        "accounts/two_factor.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """First sign-in (or after a reset): scan the QR code, confirm with a code."""
    if services.has_second_factor(request.user) and not request.user.is_verified():
        return redirect("accounts:two_factor")  # a new secret only after the current one
    device = services.totp_device_for_setup(request.user)
    form = SetupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_confirm(user=request.user, code=form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            request.session[CODES_SESSION_KEY] = codes
            return redirect(f"{reverse('accounts:recovery_codes')}?next={_next_url(request)}")
        form.add_error("code", _("This code is not right. Scan the QR code again and retry."))
    if form.errors:
        status = 400
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=5, dark="#000", light="#fff", title=_("QR code")),
        "secret": _grouped(device.config_url),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=status)


def _grouped(config_url: str) -> str:
    secret = parse_qs(urlsplit(config_url).query)["secret"][0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes, shown once; new ones on request (the old ones stop working)."""
    if request.method == "POST":
        if not request.user.is_verified():
            return redirect("accounts:two_factor")
        request.session[CODES_SESSION_KEY] = services.recovery_codes_renew(user=request.user)
        return redirect("accounts:recovery_codes")
    codes = request.session.pop(CODES_SESSION_KEY, None)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


# --- single sign-on -------------------------------------------------------------------

REFUSALS = {
    "unknown": gettext_lazy(
        "There is no Klachtbeheer account for this identity. Ask the quality manager to "
        "invite you with the e-mail address your organisation account uses."
    ),
    "inactive": gettext_lazy(
        "Your Klachtbeheer account has been deactivated. Ask the quality manager."
    ),
    "wrong_audience": gettext_lazy(
        "The identity provider sent a sign-in meant for another application. Nothing was "
        "signed in. Tell the administrator (the client id may be set wrongly)."
    ),
    "invalid_token": gettext_lazy(
        "The sign-in from the identity provider could not be checked. Nothing was signed in. "
        "Try again, or tell the administrator."
    ),
}


# Roles with a work list; any other signed-in user (other staff, or an account without a
# profile) lands on a page of its own, never on a 404 (issue 14).
ROLES_WITH_WORK = (Role.QUALITY_MANAGER, Role.BOARD, Role.DISTRICT_MANAGER)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where signing in ends: the work list, or a page that says why there is nothing here."""
    if role_of(request.user) in ROLES_WITH_WORK:
        return redirect("complaints:work_list")
    return render(
        request,
        "accounts/no_role.html",
        {"quality_managers": services.quality_managers_to_ask()},
    )


@never_cache
def sso_refused(request: HttpRequest) -> HttpResponse:
    code = request.session.pop(oidc.REFUSAL_SESSION_KEY, "invalid_token")
    reason = REFUSALS.get(code, REFUSALS["invalid_token"])
    return render(
        request,
        "accounts/sso_refused.html",
        {"reason": reason, "code": code},
        status=403,
    )


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = oidc.enabled()
        context["sso_name"] = settings.OIDC_PROVIDER_NAME or _("your organisation account")
        return context


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, and at the identity provider too when that is how one signed in."""
    via_sso = request.session.get(BACKEND_SESSION_KEY) == oidc.BACKEND_PATH
    target = oidc.provider_logout_url(request) if via_sso else reverse(settings.LOGOUT_REDIRECT_URL)
    auth_logout(request)
    return HttpResponseRedirect(target)


# --- passwords ------------------------------------------------------------------------


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The link of an invitation or a reset: choose a password (the second factor follows)."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        services.user_password_set(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your password is set. Sign in with it."))
        return HttpResponseRedirect(self.get_success_url())


@never_cache
@require_http_methods(["GET", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    """Ask for a link by e-mail; the answer is the same whether the address is known or not."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if ratelimit.hit("password_reset", ratelimit.client_address(request), limit=5):
            user = (
                get_user_model()
                .objects.filter(email__iexact=form.cleaned_data["email"], is_active=True)
                .first()
            )
            if user is not None and user.has_usable_password():
                services.user_send_password_reset(
                    actor=None, user=user, base_url=request.build_absolute_uri("/")
                )
        return render(request, "accounts/password_forgot_sent.html")
    return render(
        request, "accounts/password_forgot.html", {"form": form}, status=400 if form.errors else 200
    )


# --- user management (the quality manager) --------------------------------------------


def _quality_manager(request: HttpRequest) -> None:
    if role_of(request.user) != Role.QUALITY_MANAGER:
        raise PermissionDenied


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """Everyone by role, with districts, second factor, single sign-on and lock-out."""
    _quality_manager(request)
    people = list(
        get_user_model()
        .objects.filter(service_account__isnull=True)
        .select_related("staff_profile")
        .prefetch_related(
            Prefetch("managed_districts", queryset=District.objects.order_by("name")),
            "identities",
            "totpdevice_set",
        )
        .order_by("-is_active", "last_name", "first_name", "username")
    )
    locked = services.locked_usernames()
    groups = {value: [] for value, _label in Role.choices}
    groups[""] = []
    for person in people:
        profile = getattr(person, "staff_profile", None)
        person.kb_role = profile.role if profile else ""
        person.kb_locked = person.get_username() in locked
        person.kb_second_factor = any(d.confirmed for d in person.totpdevice_set.all())
        groups[person.kb_role].append(person)
    role_groups = [(label, groups[value]) for value, label in [*Role.choices, ("", _("No role"))]]
    return render(
        request,
        "accounts/users.html",
        {
            "role_groups": role_groups,
            "locked_addresses": services.locked_addresses(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest) -> HttpResponse:
    _quality_manager(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_invite(
                actor=request.user,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                role=form.cleaned_data["role"],
                districts=form.cleaned_data["districts"],
                base_url=request.build_absolute_uri("/"),
            )
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("The invitation was sent to %(email)s.") % {"email": user.email}
            )
            return redirect("accounts:user", user_id=user.pk)
    return render(
        request, "accounts/invite.html", {"form": form}, status=400 if form.errors else 200
    )


ACTIONS = {
    "deactivate": (
        services.user_deactivate,
        "The account is deactivated; its sessions and tokens ended.",
    ),
    "reactivate": (services.user_reactivate, "The account is active again."),
    "two_factor_reset": (
        services.two_factor_reset,
        "The second factor is removed; a new one is set up at the next sign-in.",
    ),
    "unlock": (services.user_unlock, "Signing in is unblocked."),
}


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    _quality_manager(request)
    person = (
        get_user_model()
        .objects.filter(pk=user_id, service_account__isnull=True)
        .select_related("staff_profile")
        .first()
    )
    if person is None:
        return render(request, "404.html", status=404)
    profile = StaffProfile.objects.filter(user=person).first()
    initial = {
        "role": profile.role if profile else Role.STAFF,
        "job_title": profile.job_title if profile else "",
        "districts": list(District.objects.filter(manager=person)),
    }
    form = UserForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action in ACTIONS:
                service, done = ACTIONS[action]
                service(actor=request.user, user_id=person.pk)
                messages.success(request, done)
                return redirect("accounts:user", user_id=person.pk)
            if action == "password_reset":
                services.user_send_password_reset(
                    actor=request.user, user_id=person.pk, base_url=request.build_absolute_uri("/")
                )
                messages.success(request, _("A link to set a new password was sent."))
                return redirect("accounts:user", user_id=person.pk)
            if form.is_valid():
                services.user_change(
                    actor=request.user,
                    user_id=person.pk,
                    role=form.cleaned_data["role"],
                    districts=form.cleaned_data["districts"],
                    job_title=form.cleaned_data["job_title"],
                )
                messages.success(request, _("The changes are saved."))
                return redirect("accounts:user", user_id=person.pk)
        except ProcedureError as error:
            form.add_error(None, str(error))
        status = 400
    context = {
        "person": person,
        "form": form,
        "second_factor": services.has_second_factor(person),
        "locked": person.get_username() in services.locked_usernames(),
        "identities": list(person.identities.all()),
        "tokens": person.api_tokens.filter(revoked_at__isnull=True).count(),
    }
    return render(request, "accounts/user.html", context, status=status)


@login_required
@require_POST
def address_unlock(request: HttpRequest) -> HttpResponse:
    _quality_manager(request)
    services.address_unlock(actor=request.user, address=request.POST.get("address", ""))
    messages.success(request, _("Signing in from this address is unblocked."))
    return redirect("accounts:users")


@login_required
@require_http_methods(["GET", "POST"])
def service_accounts(request: HttpRequest) -> HttpResponse:
    _quality_manager(request)
    form = ServiceAccountForm(request.POST or None)
    if request.method == "POST" and request.POST.get("revoke"):
        try:
            services.service_account_revoke(
                actor=request.user, account_id=int(request.POST["revoke"])
            )
        except (ProcedureError, ValueError):
            messages.error(request, _("There is no such service account."))
        else:
            messages.success(request, _("The service account is revoked; its token stops now."))
        return redirect("accounts:service_accounts")
    if request.method == "POST" and form.is_valid():
        try:
            account, secret = services.service_account_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
                role=form.cleaned_data["role"],
            )
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            request.session[SECRET_SESSION_KEY] = [account.name, secret]
            return redirect("accounts:service_accounts")
    accounts = list(ServiceAccount.objects.select_related("intake_key", "user__staff_profile"))
    return render(
        request,
        "accounts/service_accounts.html",
        {
            "form": form,
            "accounts": accounts,
            "new_secret": request.session.pop(SECRET_SESSION_KEY, None),
        },
        status=400 if form.errors else 200,
    )
