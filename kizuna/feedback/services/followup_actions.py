"""What a follow-up rule's actions do (docs/follow-ups.md). Each returns its outcome, a JSON
object kept on the rule's run: `{type, status, ...}` with status `done` (the task created, the
points granted), `queued` (the email, sent after commit), `sent`, or `skipped` with a `reason`.
A skipped action never fails the response it runs for."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.errors import KizunaError
from kizuna.customers.services import timeline
from kizuna.feedback.models import (
    FollowUp,
    FollowUpRule,
    FollowUpRun,
    FollowUpStatus,
    Response,
)
from kizuna.feedback.services.answers import elements_of
from kizuna.feedback.services.displays import new_key
from kizuna.loyalty.models import ProgramStatus
from kizuna.loyalty.services import adjustments
from kizuna.loyalty.services.programs import get_program

logger = logging.getLogger(__name__)

TIMELINE_KIND = "follow_up"
# The actor of what the rules do: the system, naming the rule.
RULE_ACTOR_PREFIX = "follow_up_rule:"

timeline.register_kind(
    TIMELINE_KIND,
    "A follow-up was created about a survey response (summary: follow_up_id, survey_id, "
    "response_id, reason, status, due_at).",
)


def rule_actor(rule: FollowUpRule, survey_key: str) -> Actor:
    return Actor("system", f"{RULE_ACTOR_PREFIX}{survey_key}/{rule.key}")


def follow_up_snapshot(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "id": follow_up.key,
        "status": follow_up.status,
        "assignee": follow_up.assignee or None,
        "due_at": follow_up.due_at,
        "reason": follow_up.reason,
        "notes": len(follow_up.notes),
    }


def create_task(
    run: FollowUpRun,
    rule: FollowUpRule,
    response: Response,
    action: dict[str, Any],
    moment: datetime,
) -> dict[str, Any]:
    """A follow-up, open, due `due_in_hours` from now; audited, and on the customer's timeline."""
    survey, customer = response.survey, response.customer
    follow_up = FollowUp.objects.create(
        workspace_id=response.workspace_id,
        key=new_key("follow-up"),
        survey=survey,
        response=response,
        customer=customer,
        run=run,
        reason=rule.name,
        status=FollowUpStatus.OPEN,
        assignee=action.get("assignee", ""),
        due_at=moment + timedelta(hours=action["due_in_hours"]),
        created_at=moment,
        updated_at=moment,
    )
    audit.record(
        response.workspace_id,
        rule_actor(rule, survey.key),
        "follow_up.created",
        "follow_up",
        follow_up.key,
        after=follow_up_snapshot(follow_up),
    )
    if customer is not None:
        summary = {
            "follow_up_id": follow_up.key,
            "survey_id": survey.key,
            "response_id": response.key,
            "reason": follow_up.reason,
            "status": follow_up.status,
            "due_at": follow_up.due_at.isoformat(),
        }
        timeline.add_entry(customer, TIMELINE_KIND, follow_up.key, moment, summary)
    return {"type": "task", "status": "done", "follow_up_id": follow_up.key}


def grant_points(rule: FollowUpRule, response: Response, action: dict[str, Any]) -> dict[str, Any]:
    """Points through the loyalty engine's adjustments, once per response (the rule's run is
    unique per response). Skipped, with the reason, for an anonymous response, a program gone
    or not active, or a customer who is not a member of a program members join themselves."""
    outcome: dict[str, Any] = {"type": "points", "program_id": action["program_id"]}
    customer = response.customer
    if customer is None:
        return outcome | {"status": "skipped", "reason": "no_customer"}
    workspace = response.workspace
    try:
        program = get_program(workspace, action["program_id"])
    except KizunaError:
        return outcome | {"status": "skipped", "reason": "program_not_found"}
    if program.status != ProgramStatus.ACTIVE:
        return outcome | {"status": "skipped", "reason": "program_not_active"}
    data = {
        "points": action["points"],
        "reason": f"Survey {response.survey.key}, response {response.key}: {rule.name}"[:200],
    }
    try:
        # A savepoint: a refusal (not a member) leaves the response's transaction usable.
        with transaction.atomic():
            entry = adjustments.adjust(
                workspace,
                customer.external_id,
                program.key,
                data,
                rule_actor(rule, response.survey.key),
            )
    except KizunaError as exc:
        return outcome | {"status": "skipped", "reason": exc.code}
    return outcome | {"status": "done", "points": entry.points, "entry_id": entry.pk}


def queue_email(run: FollowUpRun, index: int, action: dict[str, Any]) -> dict[str, Any]:
    """The email is sent after commit, by a task that takes the run's id (safe to retry: a
    sent email is marked on the run and not sent again)."""
    run_pk = run.pk

    def enqueue() -> None:
        from kizuna.feedback.tasks import send_follow_up_email

        try:
            send_follow_up_email.enqueue(run_pk, index)
        except Exception:
            logger.exception("Could not enqueue the email of follow-up run %s", run_pk)

    transaction.on_commit(enqueue)
    return {"type": "email", "status": "queued", **action}


def response_url(response: Response) -> str:
    return (
        f"{settings.KIZUNA_PUBLIC_URL}/api/v1/surveys/{response.survey.key}"
        f"/responses/{response.key}"
    )


def _answer_lines(response: Response, definition: dict[str, Any]) -> list[str]:
    lines = []
    titles = {
        str(e["id"]): (e.get("title") or {}).get("default", "") for e in elements_of(definition)
    }
    for element_id, value in response.answers.items():
        title = titles.get(element_id.split("#")[0], "")
        label = f"{title} ({element_id})" if title else element_id
        lines.append(f"- {label}: {value}")
    return lines


def email_message(run: FollowUpRun, action: dict[str, Any]) -> EmailMessage:
    """The email to staff: the subject, the answers, and a link to the response."""
    response, rule = run.response, run.rule
    survey = response.survey
    subject = action.get("subject") or f"Follow-up: {survey.name}: {rule.name}"
    customer = response.customer
    body = "\n".join(
        [
            f"A response to the survey {survey.name} ({survey.key}) matched the follow-up rule "
            f"{rule.name!r}.",
            "",
            f"Response: {response.key}",
            f"Customer: {customer.external_id if customer is not None else 'anonymous'}",
            f"Completed at: {response.completed_at.isoformat() if response.completed_at else ''}",
            "",
            "Answers:",
            *_answer_lines(response, survey.definition),
            "",
            f"The response: {response_url(response)}",
        ]
    )
    return EmailMessage(subject=subject, body=body, to=[action["to"]])


def send_email(run_pk: int, index: int) -> bool:
    """Send the email of the run's action `index` unless it was sent; True when sent now."""
    with transaction.atomic():
        run = (
            FollowUpRun.objects.select_for_update(of=("self",))
            .select_related("rule", "response__survey", "response__customer")
            .filter(pk=run_pk)
            .first()
        )
        if run is None or index >= len(run.outcomes):
            return False
        outcome = run.outcomes[index]
        if outcome.get("type") != "email" or outcome.get("status") == "sent":
            return False
        email_message(run, outcome).send()
        outcomes = list(run.outcomes)
        outcomes[index] = outcome | {"status": "sent"}
        FollowUpRun.objects.filter(pk=run.pk).update(outcomes=outcomes)
    return True
