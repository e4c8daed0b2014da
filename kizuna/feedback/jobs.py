"""The feedback app's periodic jobs, registered with the scheduler at start-up (ADR 0022)."""

from kizuna.core.schedule import register_job
from kizuna.feedback.services import enrichment

SWEEP_LIMIT = 2000


def enrich_answers() -> str:
    """Analyse open answers that no task analysed yet (a lost task, a worker killed)."""
    stored = enrichment.enrich_waiting(limit=SWEEP_LIMIT)
    return f"analysed {stored} answer(s)"


def register() -> None:
    register_job(
        "enrich_answers",
        enrich_answers,
        "5m",
        "Stores the sentiment of open survey answers that no background task analysed yet.",
    )
    register_distribution()


# Survey distribution: invitations a lost task left, failed sends, and due reminders.


def send_invitations() -> str:
    from kizuna.feedback.services import invitations

    sent, failed = invitations.send_waiting(limit=SWEEP_LIMIT)
    reminded, unreminded = invitations.send_reminders(limit=SWEEP_LIMIT)
    return (
        f"sent {sent} invitation(s), {failed} failed; sent {reminded} reminder(s), "
        f"{unreminded} failed"
    )


def register_distribution() -> None:
    register_job(
        "survey_invitations",
        send_invitations,
        "5m",
        "Emails survey invitations left waiting or refused before, and the one reminder of "
        "invitations not answered after their remind_after_days.",
    )
