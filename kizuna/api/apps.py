from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kizuna.api"
    label = "kizuna_api"
    verbose_name = "REST API"
