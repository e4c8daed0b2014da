"""Request and response shapes of the surveys API (API.md, Feedback). A definition is a JSON
object checked by the services, which name every fault by its JSON path (docs/surveys.md is
the reference); the shapes here document the rest for clients."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kizuna.core.clock import now
from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.schemas import InputSchema, IsoDateTime
from kizuna.feedback.models import Survey, SurveyVersion
from kizuna.feedback.services.settings import MAX_LANGUAGES, NAME_MAX_LENGTH, RECONTACT_MAX_DAYS

ObjectId = Annotated[
    str, Field(max_length=OBJECT_ID_MAX_LENGTH, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
]
Language = Annotated[str, Field(min_length=2, max_length=35, examples=["ja"])]
Status = Literal["draft", "scheduled", "active", "paused", "closed"]

DEFINITION_DESCRIPTION = (
    "The survey's pages of elements, welcome, endings, hidden fields, variables and quotas "
    "(docs/surveys.md). Checked strictly when saved: a fault is 422 with a code such as "
    "invalid_definition, duplicate_id, invalid_text, invalid_condition or unknown_reference, "
    "its field the JSON path of the fault (definition.pages[0].elements[1].id)."
)
DEFINITION_EXAMPLE = {
    "pages": [
        {
            "id": "p1",
            "elements": [
                {
                    "id": "nps",
                    "type": "nps",
                    "title": {
                        "default": "How likely are you to recommend us?",
                        "ja": "友人に薦める可能性はどのくらいですか?",
                    },
                    "required": True,
                },
                {
                    "id": "why",
                    "type": "text",
                    "title": {"default": "What could we do better?"},
                    "visible_if": {"field": "answers.nps", "op": "lte", "value": 6},
                },
            ],
        }
    ],
    "endings": [
        {"id": "thanks", "title": {"default": "Thank you!", "ja": "ありがとうございました"}}
    ],
}
TARGETING_DESCRIPTION = (
    "A condition over customer fields (docs/conditions.md): who may be shown the survey. "
    "A fault is 422 invalid_condition, its field the JSON path (targeting.all[0].value)."
)


class ScheduleIn(InputSchema):
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None


class RecontactIn(InputSchema):
    policy: Literal["once", "until_answered", "every"] | None = Field(
        default=None,
        description="once: never contacted again after a first contact (a display, a sent "
        "invitation); until_answered: contacted again `days` after the last contact until "
        "they answer; every: contacted again `days` after the last contact. Absent: every.",
    )
    days: int | None = Field(
        default=None,
        ge=0,
        le=RECONTACT_MAX_DAYS,
        description="Days after a contact before the survey may contact the customer again "
        '(required with "every" and with the short form {"days": N}; not with "once").',
    )


class SurveyIn(InputSchema):
    id: ObjectId | None = Field(
        default=None, description="Your id, [a-z0-9][a-z0-9_-]{0,63}; generated when absent."
    )
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    languages: list[Language] = Field(
        min_length=1, max_length=MAX_LANGUAGES, examples=[["en", "ja", "ko"]]
    )
    default_language: Language
    timezone: str = Field(max_length=64, examples=["Asia/Tokyo"])
    targeting: dict[str, Any] | None = Field(default=None, description=TARGETING_DESCRIPTION)
    recontact: RecontactIn | None = Field(
        default=None, description="null: the workspace's cooldown applies."
    )
    schedule: ScheduleIn | None = None
    definition: dict[str, Any] = Field(
        description=DEFINITION_DESCRIPTION, examples=[DEFINITION_EXAMPLE]
    )


class SurveyPatchIn(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=MAX_LANGUAGES)
    default_language: Language | None = None
    timezone: str | None = Field(default=None, max_length=64)
    targeting: dict[str, Any] | None = Field(default=None, description=TARGETING_DESCRIPTION)
    recontact: RecontactIn | None = None
    schedule: ScheduleIn | None = None
    definition: dict[str, Any] | None = Field(
        default=None,
        description="A new definition. Before the survey is first published it replaces the "
        "draft; afterwards, if it differs, it becomes a new version.",
    )


class SurveyParams(Schema):
    version: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Read the survey as this version defined it (GET /surveys/{id}/versions).",
    )


class SurveyListParams(Schema):
    status: Status | None = Field(default=None, description="Only surveys with this status now.")


class ScheduleOut(Schema):
    starts_at: datetime | None
    ends_at: datetime | None


class SurveyOut(Schema):
    id: str
    name: str
    languages: list[str]
    default_language: str
    timezone: str
    targeting: dict[str, Any] | None
    recontact: dict[str, Any] | None = Field(
        description='{"policy", "days"} as set, or {"days": N} (every N days); null: none.'
    )
    schedule: ScheduleOut | None
    status: Status = Field(
        description="Now: a scheduled survey whose start has come is active, a survey whose "
        "schedule has ended is closed."
    )
    version: int = Field(description="The version of the definition shown.")
    latest_version: int = Field(description="The current version.")
    definition: dict[str, Any]
    source_format: str = Field(
        default="",
        description='"surveyjs" for a survey imported from SurveyJS (its logic is evaluated '
        "with SurveyJS semantics over the source kept beside it); empty for a native survey.",
    )
    published_at: datetime | None = Field(description="When the survey was first published.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id(survey: Survey) -> str:
        return survey.key

    @staticmethod
    def resolve_schedule(survey: Survey) -> dict[str, Any] | None:
        if survey.starts_at is None and survey.ends_at is None:
            return None
        return {"starts_at": survey.starts_at, "ends_at": survey.ends_at}

    @staticmethod
    def resolve_status(survey: Survey) -> str:
        return survey.effective_status(now())

    @staticmethod
    def resolve_latest_version(survey: Survey) -> int:
        return int(getattr(survey, "latest_version", survey.version))


class SurveyVersionOut(Schema):
    version: int
    definition: dict[str, Any]
    created_at: datetime

    @staticmethod
    def resolve_version(row: SurveyVersion) -> int:
        return row.number
