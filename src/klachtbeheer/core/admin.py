from django.contrib import admin
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from klachtbeheer.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The audit rows of a complaint show as much as the complaint itself: only to
        # those who may see it, so the manager concerned finds no trace of it (P3.2).
        from klachtbeheer.complaints.models import Complaint
        from klachtbeheer.complaints.selectors import complaints_visible_to

        visible = (
            complaints_visible_to(request.user)
            .annotate(pk_text=Cast("pk", CharField()))
            .values("pk_text")
        )
        return (
            super()
            .get_queryset(request)
            .filter(~Q(target_type=Complaint._meta.label_lower) | Q(target_id__in=visible))
        )

    def has_view_permission(self, request, obj=None):
        from klachtbeheer.organisation.selectors import user_is_quality_manager

        return user_is_quality_manager(request.user) or request.user.is_superuser
