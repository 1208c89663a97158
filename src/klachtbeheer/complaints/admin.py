"""The admin sees complaints only through the same selector as the pages (P3.2).

Complaints are read-only here: every change is a step of the procedure, taken
on the complaint page so it gets its timeline event and audit row.
"""

from django.contrib import admin
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from klachtbeheer.complaints.models import AccessLog, Complaint, Event
from klachtbeheer.complaints.selectors import among, complaints_visible_to
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.organisation.selectors import user_is_quality_manager


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Event
    fields = ["at", "kind", "actor", "text", "internal"]
    readonly_fields = fields
    extra = 0


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "received_on", "state", "district", "handler", "next_due_on"]
    list_filter = ["state", "channel", "district", "complainant_type"]
    search_fields = ["reference", "complainant_name", "complainant_email"]
    date_hierarchy = "received_on"
    list_select_related = ["district", "handler"]
    inlines = [EventInline]

    def get_queryset(self, request):
        return complaints_visible_to(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        complaint = self.get_queryset(request).filter(pk=object_id).first()
        if complaint is not None:
            AccessLog.objects.create(complaint=complaint, user=request.user, via="admin")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "complaint", "via"]
    list_select_related = ["user", "complaint"]

    def get_queryset(self, request):
        visible = complaints_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(complaint__in=visible)


def _pk_texts(queryset):
    """The primary keys as text, as the audit log stores its targets."""
    return queryset.annotate(pk_text=Cast("pk", CharField())).values("pk_text")


def _targets_belonging_to(complaints) -> Q:
    """Audit targets that belong to one of `complaints`: every model that points at one.

    Found from the relations to Complaint, so the apps above need not be imported
    here and a new model tied to a complaint is covered without a change.
    """
    condition = Q(pk__in=[])
    for relation in Complaint._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.related_model):
            continue
        model = relation.related_model
        if model._meta.auto_created:  # the table behind a many-to-many field
            continue
        rows = model._default_manager.filter(**{f"{relation.field.name}__in": complaints})
        condition |= Q(target_type=model._meta.label_lower, target_id__in=_pk_texts(rows))
    return condition


# The audit log belongs to core; shown here because its rows about complaints are
# filtered by the same access rule as the complaints themselves.
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
        # So do the rows of what belongs to a complaint (a measure, a letter, an
        # e-mail in or out, a submission): their details can name the complaint.
        visible = complaints_visible_to(request.user)
        hidden = Complaint.objects.filter(~among(visible))
        return (
            super()
            .get_queryset(request)
            .filter(
                ~Q(target_type=Complaint._meta.label_lower) | Q(target_id__in=_pk_texts(visible))
            )
            .exclude(_targets_belonging_to(hidden))
        )

    def has_view_permission(self, request, obj=None):
        return user_is_quality_manager(request.user) or request.user.is_superuser
