"""Background work of the feedback app. Tasks take ids and are safe to run again."""

from django.tasks import task

from kizuna.feedback.services import enrichment


@task()
def enrich_response(response_pk: int) -> int:
    """Sentiment of one response's open answers; returns how many answers were analysed."""
    return enrichment.enrich_response(response_pk)
