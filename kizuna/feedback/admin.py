from django.contrib import admin

from kizuna.feedback.models import Survey, SurveyVersion


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin[Survey]):
    list_display = ("key", "name", "workspace", "status", "version", "updated_at")
    list_filter = ("status", "workspace")
    search_fields = ("key", "name")


@admin.register(SurveyVersion)
class SurveyVersionAdmin(admin.ModelAdmin[SurveyVersion]):
    list_display = ("survey", "number", "created_at")
    raw_id_fields = ("survey",)


# ---------------------------------------------------------------- displays and responses
from kizuna.feedback.models import Display, QuotaCount, Response  # noqa: E402


@admin.register(Display)
class DisplayAdmin(admin.ModelAdmin[Display]):
    list_display = ("key", "survey", "channel", "created_at")
    list_filter = ("channel",)
    raw_id_fields = ("survey", "customer")
    search_fields = ("key",)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin[Response]):
    list_display = ("key", "survey", "status", "language", "channel", "started_at")
    list_filter = ("status", "channel", "device")
    raw_id_fields = ("survey", "customer", "display")
    search_fields = ("key", "submission_id")


@admin.register(QuotaCount)
class QuotaCountAdmin(admin.ModelAdmin[QuotaCount]):
    list_display = ("survey", "quota_id", "count")
    raw_id_fields = ("survey",)
