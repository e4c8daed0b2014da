from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kizuna.demo"
    label = "demo"
    verbose_name = "Demo data"
