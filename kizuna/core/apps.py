from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kizuna.core"
    label = "core"
    verbose_name = "Kizuna core"

    def ready(self) -> None:
        from kizuna.core import jobs

        jobs.register()
