"""Request and response shapes of follow-up rules and follow-ups (API.md, Feedback;
docs/follow-ups.md). Conditions and actions are checked by the services, which name the
fault by its JSON path (`condition.all[0].field`, `actions[1].to`)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kizuna.core.clock import now
from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.schemas import ExternalId, InputSchema, IsoDateTime
from kizuna.feedback.models import FollowUp, FollowUpRule
from kizuna.feedback.services.followup_rules import ASSIGNEE_MAX_LENGTH, NAME_MAX_LENGTH
from kizuna.feedback.services.followups import NOTE_MAX_LENGTH

ObjectId = Annotated[
    str, Field(max_length=OBJECT_ID_MAX_LENGTH, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
]
FollowUpStatusName = Literal["open", "in_progress", "closed"]

CONDITION_DESCRIPTION = (
    "A condition (docs/conditions.md) over the survey's answers (answers.<element_id>), "
    "hidden fields (hidden.<name>), variables (variables.<id>) and the customer's fields. "
    "Checked against the survey's current definition: a fault is 422 invalid_condition, its "
    "field the JSON path (condition.all[0].field)."
)
ACTIONS_DESCRIPTION = (
    "1 to 10 actions, run once per response: "
    '{"type": "task", "due_in_hours": 24, "assignee"?: "..."} creates a follow-up; '
    '{"type": "email", "to": "cx@shop.example", "subject"?: "..."} emails staff after commit; '
    '{"type": "points", "program_id": "club", "points": 50} grants loyalty points.'
)
DETRACTOR_CONDITION: dict[str, Any] = {"field": "answers.nps", "op": "lte", "value": 6}
DETRACTOR_ACTIONS: list[dict[str, Any]] = [
    {"type": "task", "due_in_hours": 24},
    {"type": "email", "to": "cx@shop.example"},
]


class FollowUpRuleIn(InputSchema):
    id: ObjectId | None = Field(
        default=None, description="Your id, [a-z0-9][a-z0-9_-]{0,63}; generated when absent."
    )
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    condition: dict[str, Any] = Field(
        description=CONDITION_DESCRIPTION, examples=[DETRACTOR_CONDITION]
    )
    actions: list[dict[str, Any]] = Field(
        description=ACTIONS_DESCRIPTION, examples=[DETRACTOR_ACTIONS]
    )
    enabled: bool = True


class FollowUpRulePatchIn(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)
    condition: dict[str, Any] | None = Field(default=None, description=CONDITION_DESCRIPTION)
    actions: list[dict[str, Any]] | None = Field(default=None, description=ACTIONS_DESCRIPTION)
    enabled: bool | None = None


class FollowUpRuleOut(Schema):
    id: str
    survey_id: str
    name: str
    condition: dict[str, Any]
    actions: list[dict[str, Any]]
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id(rule: FollowUpRule) -> str:
        return rule.key

    @staticmethod
    def resolve_survey_id(rule: FollowUpRule) -> str:
        return rule.survey.key


class NoteOut(Schema):
    text: str
    actor: dict[str, str] = Field(description='Who wrote it: {"type", "id"}, as in the audit log.')
    created_at: datetime


class FollowUpOut(Schema):
    id: str
    status: FollowUpStatusName
    assignee: str | None
    notes: list[NoteOut] = Field(description="Append-only, oldest first.")
    due_at: datetime
    overdue: bool = Field(description="Due before now (the list's moment) and not closed.")
    reason: str = Field(description="Why it exists: the name of the rule that created it.")
    rule_id: str | None
    survey_id: str
    response_id: str | None
    customer_id: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_id(follow_up: FollowUp) -> str:
        return follow_up.key

    @staticmethod
    def resolve_assignee(follow_up: FollowUp) -> str | None:
        return follow_up.assignee or None

    @staticmethod
    def resolve_overdue(follow_up: FollowUp) -> bool:
        overdue = getattr(follow_up, "overdue", None)
        if overdue is None:
            return follow_up.due_at < now() and follow_up.status != "closed"
        return bool(overdue)

    @staticmethod
    def resolve_rule_id(follow_up: FollowUp) -> str | None:
        run = follow_up.run
        return run.rule.key if run is not None else None

    @staticmethod
    def resolve_survey_id(follow_up: FollowUp) -> str:
        return follow_up.survey.key

    @staticmethod
    def resolve_response_id(follow_up: FollowUp) -> str | None:
        return follow_up.response.key if follow_up.response is not None else None

    @staticmethod
    def resolve_customer_id(follow_up: FollowUp) -> str | None:
        return follow_up.customer.external_id if follow_up.customer is not None else None


class FollowUpListParams(Schema):
    status: FollowUpStatusName | None = None
    survey_id: str | None = Field(default=None, max_length=OBJECT_ID_MAX_LENGTH)
    assignee: str | None = Field(default=None, max_length=ASSIGNEE_MAX_LENGTH)
    customer_id: ExternalId | None = Field(default=None, description="Your id of the customer.")
    overdue: bool | None = Field(
        default=None, description="true: only overdue ones (due before now, not closed)."
    )


class FollowUpPatchIn(InputSchema):
    status: FollowUpStatusName | None = Field(
        default=None,
        description="open <-> in_progress; open or in_progress -> closed; closed -> open.",
    )
    assignee: str | None = Field(
        default=None,
        max_length=ASSIGNEE_MAX_LENGTH,
        description="Who acts on it: free text (an email, a name, a team); null unassigns.",
    )
    notes: str | None = Field(
        default=None,
        min_length=1,
        max_length=NOTE_MAX_LENGTH,
        description="A note to add; notes are append-only.",
    )
    due_at: IsoDateTime | None = None
