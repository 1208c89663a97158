"""Admin for the quality manager: letter texts (versioned), next-step bodies, settings, outbox."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Max

from klachtbeheer.complaints.selectors import complaints_visible_to
from klachtbeheer.letters.forms import LetterTemplateForm
from klachtbeheer.letters.models import (
    Letter,
    LetterSettings,
    LetterTemplate,
    NextBody,
    OutgoingMessage,
)
from klachtbeheer.letters.selectors import messages_visible_to
from klachtbeheer.organisation.selectors import user_is_quality_manager


class QualityManagerOnly:
    def _allowed(self, request) -> bool:
        return user_is_quality_manager(request.user) or request.user.is_superuser

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(QualityManagerOnly, admin.ModelAdmin):
    """Saving a text adds a version; letters keep pointing at the version they came from."""

    form = LetterTemplateForm
    list_display = ["kind", "version", "subject", "created_at", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["created_by"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if obj else []

    def save_model(self, request, obj, form, change):
        latest = LetterTemplate.objects.filter(kind=obj.kind).aggregate(v=Max("version"))["v"]
        new = LetterTemplate(
            kind=obj.kind,
            version=(latest or 0) + 1,
            subject=obj.subject,
            body=obj.body,
            created_by=request.user,
        )
        new.save()
        form.instance = new
        obj.pk, obj.version = new.pk, new.version
        obj._state.adding = False


@admin.register(NextBody)
class NextBodyAdmin(QualityManagerOnly, admin.ModelAdmin):
    list_display = ["applies_to", "name"]


@admin.register(LetterSettings)
class LetterSettingsAdmin(QualityManagerOnly, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return self._allowed(request) and not LetterSettings.objects.exists()


class ReadOnly(QualityManagerOnly):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["our_reference", "kind", "channel", "letter_date", "sent_on"]
    list_filter = ["kind", "channel"]
    exclude = ["html"]

    def get_queryset(self, request):
        # As much as the complaint itself: nobody sees letters of a complaint about them (P3.2).
        visible = complaints_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(complaint__in=visible)


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "message_id"]

    exclude = ["mentions"]

    def get_queryset(self, request):
        # Nobody sees a message about, or naming, a complaint they may not see (P3.2).
        return messages_visible_to(request.user)
