from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages a respondent sees: hosted surveys, QR codes of links, unsubscribing.
    Presentation only: what to show and what to store is decided by kizuna.feedback."""

    name = "kizuna.portal"
    label = "portal"
    verbose_name = "Hosted survey pages"
