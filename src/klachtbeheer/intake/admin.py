"""Admin for intake: site API keys (the key is shown once, at creation) and a read-only
view of submissions. Reviewing submissions happens on the review page, not here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.selectors import among, complaints_visible_to
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.intake import services
from klachtbeheer.intake.models import IntakeApiKey, StaffToken, Submission


@admin.register(IntakeApiKey)
class IntakeApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "is_active", "prefix", "created_at", "last_used_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # submissions point at their key; switch it off instead

    def save_model(self, request, obj, form, change):
        # The admin saves inside its own transaction; the audit row joins it.
        secret = ""
        if not change:
            secret, obj.prefix, obj.key_hash = services.new_api_key_secret()
        super().save_model(request, obj, form, change)
        audit(
            actor=request.user,
            action=AuditAction.INTAKE_API_KEY_CHANGED
            if change
            else AuditAction.INTAKE_API_KEY_CREATED,
            target=obj,
            name=obj.name,
            active=obj.is_active,
        )
        if secret:
            text = _("The key for %(site)s is %(key)s. Copy it now: it is never shown again.")
            messages.warning(request, text % {"site": obj.name, "key": secret})


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "expires_at", "revoked_at", "last_used_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False  # each person makes their own on the page "API tokens"


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["received_at", "source", "api_key", "state", "complaint"]
    list_filter = ["state", "source"]
    list_select_related = ["api_key", "complaint"]
    exclude = ["data"]  # the answers are personal data: read them on the review page

    def get_queryset(self, request):
        # A submission that became a complaint shows as much as the complaint: nobody
        # sees the reference of a complaint about them (P3.2). Held ones have none yet.
        visible = complaints_visible_to(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(Q(complaint__isnull=True) | among(visible, ref="complaint_id"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
