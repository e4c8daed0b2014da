"""Request and response shapes of survey links (docs/survey-distribution.md, "Links")."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from kizuna.core.schemas import ExternalId, InputSchema, IsoDateTime
from kizuna.feedback.models import SurveyLink
from kizuna.feedback.services.links import MAX_LINKS, link_url


class LinksIn(InputSchema):
    customer_ids: list[ExternalId] = Field(
        min_length=1,
        max_length=MAX_LINKS,
        description="The customers, by your ids: one new single-use link each.",
        examples=[["cust-1", "cust-2"]],
    )
    expires_at: IsoDateTime | None = Field(
        default=None, description="When the links stop working (410 link_expired); never if absent."
    )


class LinkOut(Schema):
    token: str
    url: str = Field(description="{KIZUNA_PUBLIC_URL}/s/{token}: the hosted page.")
    kind: Literal["public", "personal"]
    customer_id: str | None
    expires_at: datetime | None
    used_at: datetime | None = Field(description="When a personal link's response became final.")

    @staticmethod
    def resolve_url(link: SurveyLink) -> str:
        return link_url(link)

    @staticmethod
    def resolve_customer_id(link: SurveyLink) -> str | None:
        return link.customer.external_id if link.customer is not None else None


class LinksOut(Schema):
    data: list[LinkOut]
