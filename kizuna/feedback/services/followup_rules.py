"""Follow-up rules of a survey (docs/follow-ups.md): created, changed and deleted through the
API with a server key, each change audited in its transaction.

A rule is `{id, name, condition, actions, enabled}`. The condition is the product's condition
language over the survey's answers, hidden fields and variables and the customer, checked when
saved against the survey's current definition the way the definition's own logic is (422
`invalid_condition`, `field` the JSON path: `condition.all[0].field`). Actions:

    {"type": "task", "due_in_hours": 24, "assignee": "ana@shop.example"?}
    {"type": "email", "to": "cx@shop.example", "subject": "..."?}
    {"type": "points", "program_id": "club", "points": 50}

A fault in an action is 422 `invalid_action` (or `unknown_program`) naming `actions[<i>].<name>`."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from kizuna.core import audit
from kizuna.core import conditions as c
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import NotFound, ValidationFailed
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.feedback.definitions import check_definition
from kizuna.feedback.definitions.fields import registry_for
from kizuna.feedback.definitions.survey import LOGIC_SUBJECTS
from kizuna.feedback.errors import FollowUpRuleExists, FollowUpRuleNotFound, InvalidAction
from kizuna.feedback.locks import lock_survey
from kizuna.feedback.models import FollowUpRule, Survey
from kizuna.feedback.services.displays import get_survey
from kizuna.loyalty.services.programs import get_program

NAME_MAX_LENGTH = 200
MAX_ACTIONS = 10
MAX_DUE_IN_HOURS = 24 * 365
MAX_POINTS = 1_000_000
ASSIGNEE_MAX_LENGTH = 254
SUBJECT_MAX_LENGTH = 200
ACTION_TYPES = ("task", "email", "points")
FIELDS = ("name", "condition", "actions", "enabled")


def snapshot(rule: FollowUpRule) -> dict[str, Any]:
    return {
        "id": rule.key,
        "name": rule.name,
        "condition": rule.condition,
        "actions": rule.actions,
        "enabled": rule.enabled,
    }


def rule_registry(workspace: Workspace, survey: Survey) -> c.Registry:
    """The condition fields of this survey's rules: the product's, and the survey's answers,
    hidden fields and variables (of its current definition)."""
    checked = check_definition(survey.definition, survey.languages, workspace)
    return registry_for(checked.elements, set(checked.hidden), set(checked.variables))


def check_condition(workspace: Workspace, survey: Survey, condition: Any) -> c.Condition:
    return c.parse(
        condition,
        workspace=workspace,
        subjects=LOGIC_SUBJECTS,
        root="condition",
        usage="a follow-up rule",
        registry=rule_registry(workspace, survey),
    )


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"name is 1 to {NAME_MAX_LENGTH} characters.", code="invalid_name", field="name"
        )
    return value.strip()


def _integer(action: Mapping[str, Any], name: str, at: str, high: int) -> int:
    value = action.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise InvalidAction(f"{name} is a whole number from 1 to {high:,}.", field=f"{at}.{name}")
    return value


def _text(action: Mapping[str, Any], name: str, at: str, high: int) -> str | None:
    value = action.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > high:
        raise InvalidAction(f"{name} is 1 to {high} characters.", field=f"{at}.{name}")
    return value.strip()


def _only(action: Mapping[str, Any], at: str, allowed: tuple[str, ...]) -> None:
    for name in action:
        if name not in allowed:
            raise InvalidAction(
                f"A {action['type']} action takes {', '.join(allowed)}; not {name!r}.",
                field=f"{at}.{name}",
            )


def _action(workspace: Workspace, action: Any, at: str) -> dict[str, Any]:
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        raise InvalidAction(f"type is one of {', '.join(ACTION_TYPES)}.", field=f"{at}.type")
    kind = action["type"]
    if kind == "task":
        _only(action, at, ("type", "due_in_hours", "assignee"))
        clean: dict[str, Any] = {
            "type": kind,
            "due_in_hours": _integer(action, "due_in_hours", at, MAX_DUE_IN_HOURS),
        }
        assignee = _text(action, "assignee", at, ASSIGNEE_MAX_LENGTH)
        if assignee is not None:
            clean["assignee"] = assignee
        return clean
    if kind == "email":
        _only(action, at, ("type", "to", "subject"))
        to = action.get("to")
        try:
            validate_email(to)
        except (DjangoValidationError, TypeError) as exc:
            raise InvalidAction("to is one email address.", field=f"{at}.to") from exc
        clean = {"type": kind, "to": str(to)}
        subject = _text(action, "subject", at, SUBJECT_MAX_LENGTH)
        if subject is not None:
            clean["subject"] = subject
        return clean
    _only(action, at, ("type", "program_id", "points"))
    program_id = check_object_id(action.get("program_id"), f"{at}.program_id")
    try:
        get_program(workspace, program_id)
    except NotFound as exc:
        raise ValidationFailed(
            f"No loyalty program {program_id!r}.", code="unknown_program", field=f"{at}.program_id"
        ) from exc
    return {
        "type": kind,
        "program_id": program_id,
        "points": _integer(action, "points", at, MAX_POINTS),
    }


def check_actions(workspace: Workspace, actions: Any) -> list[dict[str, Any]]:
    if not isinstance(actions, list) or not 1 <= len(actions) <= MAX_ACTIONS:
        raise InvalidAction(f"actions is a list of 1 to {MAX_ACTIONS} actions.", field="actions")
    return [_action(workspace, action, f"actions[{i}]") for i, action in enumerate(actions)]


def check_rule(
    workspace: Workspace, survey: Survey, data: Mapping[str, Any], *, partial: bool
) -> dict[str, Any]:
    """The rule's fields from `data`, checked (422 naming the first fault)."""
    clean: dict[str, Any] = {}
    for name in ("name", "condition", "actions"):
        if not partial and data.get(name) is None:
            raise ValidationFailed(f"{name} is required.", code="required", field=name)
    if data.get("name") is not None:
        clean["name"] = _name(data["name"])
    if data.get("condition") is not None:
        check_condition(workspace, survey, data["condition"])
        clean["condition"] = data["condition"]
    if data.get("actions") is not None:
        clean["actions"] = check_actions(workspace, data["actions"])
    if data.get("enabled") is not None:
        if not isinstance(data["enabled"], bool):
            raise ValidationFailed("enabled is true or false.", code="invalid", field="enabled")
        clean["enabled"] = data["enabled"]
    return clean


def _locked_rule(survey: Survey, key: str) -> FollowUpRule:
    rule = one_or_none(
        FollowUpRule.objects.for_workspace(survey.workspace_id)
        .select_for_update()
        .filter(survey=survey, key=key)
    )
    if rule is None:
        raise FollowUpRuleNotFound(f"No follow-up rule {key!r} of this survey.", field="rule_id")
    return rule


def create_rule(
    workspace: Workspace, survey_key: str, data: Mapping[str, Any], actor: Actor
) -> FollowUpRule:
    key = check_object_id(data["id"]) if data.get("id") is not None else new_object_id("rule")
    survey = get_survey(workspace, survey_key)
    clean = check_rule(workspace, survey, data, partial=False)
    moment = now()
    with transaction.atomic(savepoint=False):
        rule, created = insert_once(
            FollowUpRule(
                workspace=workspace,
                key=key,
                survey=survey,
                created_at=moment,
                updated_at=moment,
                **clean,
            ),
            survey=survey,
            key=key,
        )
        if not created:
            raise FollowUpRuleExists(
                f"A follow-up rule {key!r} of this survey exists already.", field="id"
            )
        rule.survey = survey
        audit.record(
            workspace,
            actor,
            "follow_up_rule.created",
            "follow_up_rule",
            f"{survey.key}/{key}",
            after=snapshot(rule),
        )
    return rule


def update_rule(
    workspace: Workspace, survey_key: str, rule_key: str, data: Mapping[str, Any], actor: Actor
) -> FollowUpRule:
    with transaction.atomic(savepoint=False):
        survey = lock_survey(workspace, survey_key)
        rule = _locked_rule(survey, rule_key)
        clean = check_rule(workspace, survey, data, partial=True)
        before = snapshot(rule)
        for name, value in clean.items():
            setattr(rule, name, value)
        if snapshot(rule) != before:
            rule.updated_at = now()
            rule.save(update_fields=[*clean, "updated_at"])
            audit.record(
                workspace,
                actor,
                "follow_up_rule.updated",
                "follow_up_rule",
                f"{survey.key}/{rule.key}",
                before=before,
                after=snapshot(rule),
            )
        rule.survey = survey
    return rule


def delete_rule(workspace: Workspace, survey_key: str, rule_key: str, actor: Actor) -> None:
    """Delete a rule; its runs go with it, the follow-ups it created stay."""
    with transaction.atomic(savepoint=False):
        survey = lock_survey(workspace, survey_key)
        rule = _locked_rule(survey, rule_key)
        before = snapshot(rule)
        rule.delete()
        audit.record(
            workspace,
            actor,
            "follow_up_rule.deleted",
            "follow_up_rule",
            f"{survey.key}/{rule_key}",
            before=before,
        )
