"""Request and response shapes of `POST /text/analyze` (API.md, Text analytics)."""

from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from kizuna.textanalytics.services import MAX_TEXT_LENGTH, MAX_TEXTS


class TextItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Your id for the text; results carry it back. 1 to 128 characters.")
    text: str = Field(description=f"1 to {MAX_TEXT_LENGTH:,} characters, not only spaces.")
    language: Literal["en", "ja", "ko"] | None = Field(
        default=None, description="Detected from the text when left out."
    )


class AnalyzeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    texts: list[TextItemIn] = Field(description=f"1 to {MAX_TEXTS} texts.")


class AnalysisOut(Schema):
    id: str
    language: Literal["en", "ja", "ko"]
    sentiment: Literal["positive", "negative", "neutral", "mixed"]
    score: float = Field(ge=-1, le=1, description="-1 (negative) to 1 (positive).")
    themes: list[str] = Field(
        description=(
            "Catalogue themes (delivery, price, staff, support, wait_time, ...) first, then "
            "key phrases that no catalogue theme covers."
        )
    )


class AnalyzeOut(Schema):
    results: list[AnalysisOut]
