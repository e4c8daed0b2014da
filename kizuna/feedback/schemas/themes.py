"""Shapes of the themes of a survey's open answers."""

from ninja import Schema
from pydantic import Field

from kizuna.core.schemas import IsoDateTime


class ThemesParams(Schema):
    element_id: str | None = Field(
        default=None, max_length=128, description="One text element; all of them when absent."
    )
    from_: IsoDateTime | None = Field(default=None, alias="from")
    to: IsoDateTime | None = None
    top: int = Field(default=20, ge=1, le=50, description="Themes and drivers, at most.")


class ThemeExample(Schema):
    response_id: str
    text: str


class ThemeOut(Schema):
    key: str
    label: str
    count: int
    share: float
    keywords: list[str]
    average_score: float
    sentiments: dict[str, int]
    examples: list[ThemeExample]


class DriverOut(Schema):
    key: str
    label: str
    detractors: int
    promoters: int
    detractor_share: float
    promoter_share: float
    difference: float = Field(description="Share among detractors minus share among promoters.")
    lift: float


class ThemesOut(Schema):
    survey_id: str
    element_id: str | None
    answers: int = Field(description="Answers read (analysed), at most 5000, newest first.")
    waiting: int = Field(description="Answers whose sentiment is not analysed yet.")
    sentiment: dict[str, int]
    themes: list[ThemeOut]
    drivers: list[DriverOut] = Field(
        description="What drives detractors: themes detractors mention more than promoters."
    )
