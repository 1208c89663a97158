"""Admin for the register's lists. Measures and answers are read-only here and filtered
through the same access rule as the pages (P3.2); they change through their services."""

from django.contrib import admin

from klachtbeheer.complaints.models import Category, Measure
from klachtbeheer.reporting.models import SatisfactionResponse
from klachtbeheer.reporting.selectors import measures_visible_to, satisfaction_visible_to


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "description"]
    list_filter = ["active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        # A category that is no longer used is made inactive: complaints keep it.
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Measure)
class MeasureAdmin(ReadOnly):
    list_display = ["description", "complaint", "owner", "due_on", "done_on", "effectiveness"]
    list_filter = ["effectiveness"]
    list_select_related = ["complaint", "owner"]

    def get_queryset(self, request):
        return measures_visible_to(request.user)


@admin.register(SatisfactionResponse)
class SatisfactionResponseAdmin(ReadOnly):
    list_display = ["complaint", "answered_at", "score", "flagged", "followed_up_on"]
    list_filter = ["score", "flagged"]
    list_select_related = ["complaint"]

    def get_queryset(self, request):
        return satisfaction_visible_to(request.user)
