from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "kizuna.insights"
    label = "insights"
    verbose_name = "Insights: segments"

    def ready(self) -> None:
        from kizuna.customers.filters import register_customer_filter
        from kizuna.insights import events, jobs  # noqa: F401  (events declares the types)
        from kizuna.insights.selectors import segment_filter

        register_customer_filter("segment", segment_filter)
        jobs.register()

        # Survey results filtered by `segment=` (feedback asks through its own registry).
        from kizuna.feedback.results.filters import register_segment_filter

        register_segment_filter(segment_filter)
