"""Shapes of GET /surveys/{survey_id}/results."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

Interval = Literal["day", "week", "month"]


class ResultsParams(Schema):
    from_: str | None = Field(
        default=None,
        alias="from",
        max_length=64,
        description="Start: a date (the start of that day in the survey's time zone) or an "
        "ISO 8601 datetime. Default: 30 days before `to`.",
    )
    to: str | None = Field(
        default=None,
        max_length=64,
        description="End: a date (included: up to the end of that day in the survey's time "
        "zone) or an ISO 8601 datetime (excluded). Default: the end of today.",
    )
    interval: str | None = Field(
        default=None,
        max_length=16,
        description="Periods of the series: day (default), week "
        "(ISO, from Monday) or month, in the survey's time zone.",
    )
    segment: str | None = Field(
        default=None, max_length=64, description="Only the answers of this segment's customers."
    )
    condition: str | None = Field(
        default=None,
        max_length=2_000,
        description="Only the answers of the customers this condition (JSON, customer fields "
        "only) selects. At most 2,000 characters, so that the request line stays within what "
        "servers take once it is URL-encoded; a longer one is a segment.",
    )
    sentiment: str | None = Field(
        default=None,
        max_length=16,
        description="Only the responses with an open answer of this sentiment (positive, "
        "negative, neutral, mixed), as the background analysis stored it.",
    )


class PreviousOut(Schema):
    score: float | None = Field(description="The score over the previous range.")
    count: int = Field(description="Answers (or respondents) in the previous range.")
    p_value: float | None = Field(
        description="Two-sided p-value of the difference; null where the test is undefined."
    )
    significant: bool = Field(description="p_value < 0.05.")


class PointOut(Schema):
    period: date = Field(description="The period's first day, in the survey's time zone.")
    score: float | None
    count: int
    ci95: list[float] | None


class MetricOut(Schema):
    element_id: str
    type: Literal[
        "nps", "csat", "ces", "rating", "choice", "ranking", "matrix", "boolean", "sentiment"
    ]
    element_type: str
    score: float | None = Field(
        description="NPS -100..100; CSAT and boolean a percentage; CES and rating a mean; "
        "null for choices, rankings and matrices (see breakdown); for an open text "
        "(type sentiment) the net sentiment, positive minus negative shares, -100..100."
    )
    count: int = Field(description="Answers; for several rows per answer, respondents.")
    ci95: list[float] | None = Field(description="The 95% confidence interval [low, high].")
    breakdown: dict[str, Any]
    previous: PreviousOut
    series: list[PointOut]


class DropOffOut(Schema):
    element_id: str
    count: int


class ResultsOut(Schema):
    survey_id: str
    from_: datetime = Field(alias="from")
    to: datetime
    interval: Interval
    timezone: str
    previous_from: datetime
    metrics: list[MetricOut]
    displays: int
    starts: int
    completions: int
    drop_off: list[DropOffOut]
