"""Background work of the feedback app. Tasks take ids and are safe to run again."""

from django.tasks import task

from kizuna.feedback.services import enrichment


@task()
def enrich_response(response_pk: int) -> int:
    """Sentiment of one response's open answers; returns how many answers were analysed."""
    return enrichment.enrich_response(response_pk)


@task()
def send_follow_up_email(run_pk: int, index: int) -> bool:
    """The email of a follow-up rule's action `index` on one response (kizuna.feedback.services.
    followup_actions); a sent one is not sent again. Returns whether it was sent now."""
    from kizuna.feedback.services import followup_actions

    return followup_actions.send_email(run_pk, index)


# Survey distribution: email invitations (services/invitations.py).


class InvitationsFailed(RuntimeError):
    """Some invitations were refused by the SMTP server: the task fails so that a backend
    with retries runs it again; a retry sends only what is still waiting."""


@task()
def send_invitations(batch: str) -> int:
    """Email the waiting invitations of one request; returns how many were sent."""
    from kizuna.feedback.services import invitations

    sent, failed = invitations.send_waiting(batch)
    if failed:
        raise InvitationsFailed(f"{failed} invitation(s) of {batch} not sent; retried later.")
    return sent
