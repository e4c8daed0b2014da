"""Closing the loop (docs/follow-ups.md, ADR 0033).

`response_completed` is called by the responses service in the transaction that makes a
response final. For a completed response it emits `nps.detractor` for each NPS answer of 0 to
6, then runs each enabled follow-up rule of the survey whose condition holds, once: the
rule's run is inserted on the unique (rule, response) and only the insert that wins runs the
actions (a task, an email after commit, loyalty points).

`update_follow_up` changes a follow-up (PATCH): status, assignee, due time, a note added.
Status moves

    open  <-->  in_progress
    open, in_progress  -->  closed  -->  open    (reopened)

anything else is 422 invalid_status_transition. Every change is audited in its transaction."""

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from kizuna.core import audit, events
from kizuna.core import conditions as c
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.feedback import events as survey_events
from kizuna.feedback.definitions.survey import LOGIC_SUBJECTS
from kizuna.feedback.errors import FollowUpNotFound, InvalidStatusTransition
from kizuna.feedback.logic.evaluator import evaluate
from kizuna.feedback.logic.plan import build_plan
from kizuna.feedback.models import (
    FollowUp,
    FollowUpRule,
    FollowUpRun,
    FollowUpStatus,
    Response,
    ResponseStatus,
)
from kizuna.feedback.services import followup_actions as actions
from kizuna.feedback.services.answers import elements_of
from kizuna.feedback.services.followup_rules import ASSIGNEE_MAX_LENGTH

logger = logging.getLogger(__name__)

DETRACTOR_MAX = 6
NOTE_MAX_LENGTH = 4000
MAX_NOTES = 200
TRANSITIONS: dict[str, frozenset[str]] = {
    FollowUpStatus.OPEN: frozenset({FollowUpStatus.IN_PROGRESS, FollowUpStatus.CLOSED}),
    FollowUpStatus.IN_PROGRESS: frozenset({FollowUpStatus.OPEN, FollowUpStatus.CLOSED}),
    FollowUpStatus.CLOSED: frozenset({FollowUpStatus.OPEN}),
}


# ---------------------------------------------------------------- when a response completes


def _detractors(response: Response, definition: dict[str, Any]) -> None:
    customer = response.customer
    for element in elements_of(definition):
        if element["type"] != "nps":
            continue
        score = response.answers.get(element["id"])
        if isinstance(score, int) and not isinstance(score, bool) and 0 <= score <= DETRACTOR_MAX:
            events.emit(
                response.workspace,
                survey_events.NpsDetractor(
                    survey_id=response.survey.key,
                    response_id=response.key,
                    element_id=str(element["id"]),
                    customer_id=customer.external_id if customer is not None else None,
                    score=score,
                ),
            )


def _context(response: Response, definition: dict[str, Any], rules: list[FollowUpRule]) -> Any:
    """The facts a rule's condition reads: the answers, hidden fields and variables of the
    response, and its customer's (loaded only if read)."""
    facts: dict[str, Any] = {"answers": response.answers, "hidden": response.hidden}
    if any('"variables.' in json.dumps(rule.condition) for rule in rules):
        evaluation = evaluate(
            definition,
            response.answers,
            hidden=response.hidden,
            now=response.completed_at,
            workspace=response.workspace,
        )
        facts["variables"] = evaluation.variables
    if response.customer is not None:
        from kizuna.customers.conditions import customer_facts

        facts.update(customer_facts(response.customer))
    return c.Context(now=response.completed_at or now(), **facts)


def _holds(
    rule: FollowUpRule, registry: c.Registry, workspace: Workspace, context: c.Context
) -> bool:
    try:
        condition = c.parse(
            rule.condition,
            workspace=workspace,
            subjects=LOGIC_SUBJECTS,
            root="condition",
            usage="a follow-up rule",
            registry=registry,
        )
    except c.InvalidCondition as exc:
        # Checked when saved; only a definition changed since gets here: the rule is skipped.
        logger.warning("Follow-up rule %s no longer valid: %s", rule.key, exc.message)
        return False
    return bool(c.evaluate(condition, context))


def _run(rule: FollowUpRule, response: Response, moment: datetime) -> None:
    run, created = insert_once(
        FollowUpRun(
            workspace_id=response.workspace_id, rule=rule, response=response, created_at=moment
        ),
        rule=rule,
        response=response,
    )
    if not created:
        return  # this rule ran on this response already
    outcomes = []
    for index, action in enumerate(rule.actions):
        if action["type"] == "task":
            outcomes.append(actions.create_task(run, rule, response, action, moment))
        elif action["type"] == "email":
            outcomes.append(actions.queue_email(run, index, action))
        else:
            outcomes.append(actions.grant_points(rule, response, action))
    run.outcomes = outcomes
    FollowUpRun.objects.filter(pk=run.pk).update(outcomes=outcomes)


def response_completed(response: Response, definition: dict[str, Any], moment: datetime) -> None:
    """What closing the loop writes beside a response that became final (see the module's
    doc). A screened-out response runs no rule and is no detractor."""
    if response.status != ResponseStatus.COMPLETED:
        return
    _detractors(response, definition)
    rules = list(
        FollowUpRule.objects.for_workspace(response.workspace_id)
        .filter(survey_id=response.survey_id, enabled=True)
        .order_by("pk")
    )
    if not rules:
        return
    workspace = response.workspace
    # The plan's registry: the fields of the version answered, as its logic reads them.
    registry = build_plan(definition, workspace).registry
    context = _context(response, definition, rules)
    for rule in rules:
        if _holds(rule, registry, workspace, context):
            _run(rule, response, moment)


# ---------------------------------------------------------------- a follow-up changed


def _locked(workspace: Workspace, key: str) -> FollowUp:
    follow_up = one_or_none(
        FollowUp.objects.for_workspace(workspace)
        .select_for_update(of=("self",))
        .select_related("survey", "response", "customer", "run__rule")
        .filter(key=key)
    )
    if follow_up is None:
        raise FollowUpNotFound(f"No follow-up {key!r}.", field="follow_up_id")
    return follow_up


def _status(follow_up: FollowUp, status: Any) -> None:
    if status not in TRANSITIONS:
        raise ValidationFailed(
            f"status is one of {', '.join(TRANSITIONS)}.", code="invalid_choice", field="status"
        )
    if status == follow_up.status:
        return
    if status not in TRANSITIONS[follow_up.status]:
        raise InvalidStatusTransition(
            f"A follow-up {follow_up.status} cannot become {status}.", field="status"
        )
    follow_up.status = status
    follow_up.closed_at = now() if status == FollowUpStatus.CLOSED else None


def _note(follow_up: FollowUp, text: Any, actor: Actor, moment: datetime) -> None:
    if not isinstance(text, str) or not text.strip() or len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            f"notes adds a note of 1 to {NOTE_MAX_LENGTH} characters.",
            code="invalid_note",
            field="notes",
        )
    if len(follow_up.notes) >= MAX_NOTES:
        raise ValidationFailed(
            f"A follow-up holds at most {MAX_NOTES} notes.", code="too_many_notes", field="notes"
        )
    note = {
        "text": text.strip(),
        "actor": {"type": actor.type, "id": actor.id},
        "created_at": moment.isoformat(),
    }
    follow_up.notes = [*follow_up.notes, note]


def update_follow_up(
    workspace: Workspace, key: str, data: Mapping[str, Any], actor: Actor
) -> FollowUp:
    """PATCH a follow-up: `status`, `assignee` (free text; null or "" unassigns), `due_at`,
    `notes` (a note to add: notes are never edited or removed)."""
    moment = now()
    with transaction.atomic(savepoint=False):
        follow_up = _locked(workspace, key)
        before = actions.follow_up_snapshot(follow_up)
        if data.get("status") is not None:
            _status(follow_up, data["status"])
        if "assignee" in data:
            assignee = (data["assignee"] or "").strip()
            if len(assignee) > ASSIGNEE_MAX_LENGTH:
                raise ValidationFailed(
                    f"assignee is at most {ASSIGNEE_MAX_LENGTH} characters.",
                    code="too_long",
                    field="assignee",
                )
            follow_up.assignee = assignee
        if data.get("due_at") is not None:
            follow_up.due_at = data["due_at"].astimezone(UTC)
        note = data.get("notes")
        if note is not None:
            _note(follow_up, note, actor, moment)
        after = actions.follow_up_snapshot(follow_up)
        if after == before:
            return follow_up
        follow_up.updated_at = moment
        follow_up.save(
            update_fields=["status", "closed_at", "assignee", "due_at", "notes", "updated_at"]
        )
        audit.record(
            workspace,
            actor,
            "follow_up.updated",
            "follow_up",
            follow_up.key,
            before=before,
            after=after,
            reason=note.strip() if isinstance(note, str) else "",
        )
    return follow_up
