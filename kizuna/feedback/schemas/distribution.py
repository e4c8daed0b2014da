"""Request and response shapes of invitations, fatigue and eligibility
(docs/survey-distribution.md)."""

from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictInt

from kizuna.core.schemas import ExternalId, InputSchema, IsoDate
from kizuna.feedback.models import FatigueCount
from kizuna.feedback.schemas.evaluate import LanguageTag
from kizuna.feedback.services.fatigue import MAX_DAYS
from kizuna.feedback.services.invitations import MAX_REMIND_DAYS
from kizuna.feedback.services.links import MAX_LINKS
from kizuna.feedback.services.submissions import CHANNELS

Reason = Literal["recontact", "cooldown", "answered"]


class InvitationsIn(InputSchema):
    customer_ids: list[ExternalId] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LINKS,
        description="The customers to invite, by your ids (or `segment`).",
    )
    segment: str | None = Field(
        default=None, max_length=64, description="Invite the customers of this segment."
    )
    remind_after_days: int | None = Field(
        default=None,
        ge=0,
        le=MAX_REMIND_DAYS,
        description="One reminder this many days after the invitation, if not answered by "
        "then; 0: no reminder. 3 when absent.",
    )


class InvitationsOut(Schema):
    id: str = Field(description="The id of this set of invitations.")
    queued: int = Field(description="Invitations to be emailed (in the background).")
    throttled: int = Field(description="Dropped by the fatigue rules (counted).")
    no_email: int = Field(description="Customers without an email address.")
    no_consent: int = Field(description="Customers whose `surveys` consent is not granted.")


class SurveySettingsOut(Schema):
    cooldown_days: int = Field(
        description="Days after a customer is contacted by a survey during which no other "
        "survey contacts them (0: no cooldown)."
    )


class SurveySettingsPatchIn(InputSchema):
    cooldown_days: StrictInt | None = Field(default=None, ge=0, le=MAX_DAYS)


class FatigueRowOut(Schema):
    day: date = Field(description="The day (UTC).")
    channel: str
    kind: Literal["display", "invitation"]
    reason: Reason
    count: int


class FatigueOut(Schema):
    displays_throttled: int
    invitations_throttled: int
    data: list[FatigueRowOut] = Field(description="Per day, newest first.")


def fatigue_body(rows: list[FatigueCount]) -> dict[str, object]:
    return {
        "displays_throttled": sum(r.count for r in rows if r.kind == "display"),
        "invitations_throttled": sum(r.count for r in rows if r.kind == "invitation"),
        "data": rows,
    }


class FatigueParams(Schema):
    since: IsoDate | None = Field(default=None, description="From this day (UTC), included.")
    until: IsoDate | None = Field(default=None, description="To this day (UTC), included.")


class EligibilityIn(InputSchema):
    customer_id: ExternalId | None = Field(
        default=None, description="The visitor, by your id, if known."
    )
    browser_token: str | None = Field(
        default=None, max_length=128, description="An anonymous visitor's browser token."
    )
    channel: str = Field(
        max_length=16,
        description="Where it would be shown: " + ", ".join(CHANNELS) + ".",
        json_schema_extra={"enum": list(CHANNELS)},
    )
    language: LanguageTag | None = Field(
        default=None, description="The visitor's language (the page's), if known."
    )


class EligibilityOut(Schema):
    show: bool
    reason: Literal["not_active", "not_targeted", "recontact", "cooldown", "answered"] | None
    language: str = Field(description="The survey language the visitor would be served.")
