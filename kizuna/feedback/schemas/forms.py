"""Shape of `GET /surveys/{survey_id}/form` (docs/widget.md)."""

from typing import Any

from ninja import Schema
from pydantic import Field


class ElementShapeOut(Schema):
    type: str = Field(description="The element type (docs/surveys.md).")
    page: str = Field(description="The page the element is on.")
    required: bool = Field(description="Required always (required_if is decided by evaluate).")
    points: int | None = Field(default=None, description="rating: the number of points.")
    display: str | None = Field(default=None, description="rating: numbers or stars.")
    other: bool | None = Field(default=None, description="Choices: an `other` choice.")
    multiline: bool | None = None
    min: Any = Field(default=None, description="multiple_choice: fewest choices.")
    max: Any = Field(default=None, description="multiple_choice: most choices.")
    randomize: bool | None = None
    validation: dict[str, Any] | None = Field(
        default=None, description="text: format, min_length, max_length, min, max."
    )
    button_url: str | None = Field(default=None, description="statement: its button's link.")


class FormOut(Schema):
    survey_id: str
    version: int
    status: str = Field(description="The survey's status now: only an active one is answered.")
    languages: list[str]
    default_language: str
    elements: dict[str, ElementShapeOut] = Field(
        description="Every element of the definition by id, in the definition's order."
    )
    hosted_url: str | None = Field(
        default=None,
        description="The survey's hosted page (its public link), for elements a client does "
        "not draw itself.",
    )
    branding: dict[str, str] = Field(
        default_factory=dict,
        description="The workspace's brand, where set: `primary` (#RRGGBB, buttons and "
        "progress) and `logo_url`.",
    )
