"""Request and response shapes of displays, responses and their export (API.md, Feedback;
docs/survey-responses.md is the reference). Answers, hidden fields, times and metadata are
JSON objects checked by the services against the survey's definition, which name every fault
(`answers.<element_id>`, `time_ms.<element_id>`, `hidden.<name>`, `meta.channel`)."""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from kizuna.core.schemas import ExternalId, InputSchema
from kizuna.feedback.models import Display, Response
from kizuna.feedback.services.submissions import CHANNELS

ResponseStatusName = Literal["in_progress", "completed", "screened_out"]
CHANNEL_FIELD: dict[str, Any] = {"enum": list(CHANNELS)}
ANSWERS_EXAMPLE = {
    "nps": 9,
    "channel": "other",
    "channel#other": "At a friend's",
    "likes": ["tea"],
    "grid": {"staff": "good"},
    "visited": "2026-05-01",
    "ok": True,
}


class DisplayIn(InputSchema):
    customer_id: ExternalId | None = Field(
        default=None, description="The customer shown the survey, by your id, if known."
    )
    channel: str = Field(
        max_length=16,
        description="Where the survey was shown: " + ", ".join(CHANNELS) + ".",
        json_schema_extra=CHANNEL_FIELD,
    )
    browser_token: str | None = Field(
        default=None,
        max_length=128,
        description="The browser's token, for an anonymous visitor: the fatigue rules count "
        "its contacts as a customer's.",
    )


class DisplayThrottledOut(Schema):
    """200 instead of 201: the fatigue rules drop this display (widget, in_app and api
    channels); it is counted, not recorded, and the survey is not to be shown."""

    id: None = Field(description="null: no display was recorded.")
    throttled: Literal[True]
    reason: Literal["recontact", "cooldown", "answered"]


class DisplayOut(Schema):
    id: str
    survey_id: str
    version: int = Field(description="The version of the definition shown.")
    channel: str
    customer_id: str | None
    created_at: datetime

    @staticmethod
    def resolve_id(display: Display) -> str:
        return display.key

    @staticmethod
    def resolve_survey_id(display: Display) -> str:
        return display.survey.key

    @staticmethod
    def resolve_customer_id(display: Display) -> str | None:
        return display.customer.external_id if display.customer is not None else None


class ResponseIn(InputSchema):
    submission_id: ExternalId = Field(
        description="The client's id of this response (a UUID, say): every save with it "
        "updates one response."
    )
    display_id: str | None = Field(
        default=None,
        max_length=64,
        description="The display this response answers (POST /surveys/{id}/displays): its "
        "channel, customer and version are the response's.",
    )
    customer_id: ExternalId | None = None
    language: str = Field(
        max_length=35,
        examples=["ja"],
        description="The respondent's language: served as is when the survey has it, else "
        "its primary language, else the survey's default language.",
    )
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="Every answer so far, by element id (they replace the answers saved "
        "before); the text of an `other` choice under `<element_id>#other`; null is no answer.",
        examples=[ANSWERS_EXAMPLE],
    )
    finished: bool = Field(
        default=False, description="The respondent is done: the response becomes final."
    )
    time_ms: dict[str, Any] = Field(
        default_factory=dict, description="Milliseconds spent per element id (integers >= 0)."
    )
    meta: dict[str, Any] = Field(
        default_factory=dict,
        description="Free metadata, at most 4 KB of JSON. `meta.channel` (one of the display "
        "channels) and `meta.device` (mobile, tablet or desktop) are read when present.",
    )
    hidden: dict[str, Any] = Field(
        default_factory=dict,
        description="Hidden fields by the names the survey declares (texts).",
    )
    browser_token: str | None = Field(
        default=None,
        max_length=128,
        description="A token the browser keeps for this survey: once a response with it is "
        "finished, another submission with it is 409 already_responded.",
    )
    link_token: str | None = Field(
        default=None,
        max_length=64,
        description="The token of the link answered (/s/{token}). A personal link's response "
        "is its customer's, and the link is used up when the response is final: another "
        "submission with it is then 409 link_used; an expired link is 410 link_expired.",
    )


class ResponseOut(Schema):
    id: str
    submission_id: str
    survey_id: str
    version: int = Field(description="The version of the definition answered.")
    status: ResponseStatusName
    ending: str | None = Field(description="The ending reached, if any.")
    quota: str | None = Field(description="The full quota that screened the response out.")
    display_id: str | None
    customer_id: str | None
    language: str = Field(description="The language served.")
    channel: str | None
    device: str | None
    answers: dict[str, Any]
    hidden: dict[str, Any]
    time_ms: dict[str, Any]
    meta: dict[str, Any]
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None = Field(description="When the response became final.")

    @staticmethod
    def resolve_id(response: Response) -> str:
        return response.key

    @staticmethod
    def resolve_survey_id(response: Response) -> str:
        return response.survey.key

    @staticmethod
    def resolve_ending(response: Response) -> str | None:
        return response.ending or None

    @staticmethod
    def resolve_quota(response: Response) -> str | None:
        return response.quota or None

    @staticmethod
    def resolve_channel(response: Response) -> str | None:
        return response.channel or None

    @staticmethod
    def resolve_device(response: Response) -> str | None:
        return response.device or None

    @staticmethod
    def resolve_display_id(response: Response) -> str | None:
        return response.display.key if response.display is not None else None

    @staticmethod
    def resolve_customer_id(response: Response) -> str | None:
        return response.customer.external_id if response.customer is not None else None


class ResponseListParams(Schema):
    status: ResponseStatusName | None = None
    customer_id: ExternalId | None = Field(default=None, description="Your id of the customer.")


EXPORT_FORMATS = ("csv", "xlsx", "kizuna", "surveyjs")


class ExportParams(Schema):
    format: str = Field(
        default="csv",
        description="csv or xlsx: the responses, one row each; kizuna: the survey's "
        "definition (JSON).",
        json_schema_extra={"enum": list(EXPORT_FORMATS)},
    )
    language: str | None = Field(
        default=None,
        max_length=35,
        description="The language of the choice labels (one of the survey's); its default "
        "language when absent.",
    )
