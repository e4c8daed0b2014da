from django.contrib import admin

from kizuna.insights.models import Segment, SegmentRefresh


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin[Segment]):
    list_display = ("key", "name", "workspace", "materialized", "size", "refreshed_at")
    list_filter = ("materialized", "workspace")
    search_fields = ("key", "name")


@admin.register(SegmentRefresh)
class SegmentRefreshAdmin(admin.ModelAdmin[SegmentRefresh]):
    list_display = ("segment", "trigger", "size", "entered", "left", "duration_ms", "started_at")
    list_filter = ("trigger",)
    raw_id_fields = ("segment",)
