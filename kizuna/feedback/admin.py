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
