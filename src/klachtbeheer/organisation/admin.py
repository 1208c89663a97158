from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from klachtbeheer.organisation.models import (
    ClosureDay,
    District,
    Organisation,
    PostcodeRange,
    StaffProfile,
)


class PostcodeRangeInline(admin.TabularInline):
    model = PostcodeRange
    extra = 1


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    list_select_related = ["manager"]
    inlines = [PostcodeRangeInline]


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["date", "description"]
    date_hierarchy = "date"


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_term_days", "settle_term_days", "board_handler"]
    # The retention terms are changed on the quality manager's page (Personal data),
    # where the change is on the audit log; the admin shows them, it cannot change them.
    readonly_fields = [
        "complaint_retention_months",
        "submission_retention_days",
        "raw_message_retention_days",
        "access_log_retention_months",
    ]

    def has_add_permission(self, request):
        return not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active"]
    list_select_related = ["staff_profile"]

    @admin.display(description="role")
    def role(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else "—"
