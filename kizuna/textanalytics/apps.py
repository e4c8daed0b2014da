from django.apps import AppConfig


class TextAnalyticsConfig(AppConfig):
    name = "kizuna.textanalytics"
    label = "textanalytics"
    verbose_name = "Text analytics"
