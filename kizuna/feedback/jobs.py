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
