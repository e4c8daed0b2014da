from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "kizuna.feedback"
    label = "feedback"
    verbose_name = "Feedback: surveys"

    def ready(self) -> None:
        from kizuna.feedback import (
            events,  # noqa: F401  (events declares the types)
            jobs,
        )
        from kizuna.feedback.definitions import fields

        fields.register()
        jobs.register()

        # Survey distribution: what an erasure clears of invitations and links.
        from kizuna.feedback.services import erasure, invitations

        invitations.register()
        # What an erasure clears of responses and follow-ups.
        erasure.register()
