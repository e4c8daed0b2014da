"""Request and response shapes of importing a survey from another tool's JSON (API.md,
Feedback: `POST /surveys/import`). docs/surveyjs.md is the reference."""

from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from kizuna.core.schemas import InputSchema
from kizuna.feedback.models import Survey
from kizuna.feedback.schemas.surveys import ObjectId, SurveyOut
from kizuna.feedback.services.settings import NAME_MAX_LENGTH

SURVEYJS_EXAMPLE = {
    "pages": [
        {
            "name": "page1",
            "elements": [
                {
                    "type": "rating",
                    "name": "nps_score",
                    "rateMin": 0,
                    "rateMax": 10,
                    "title": "How likely are you to recommend us?",
                    "isRequired": True,
                },
                {
                    "type": "comment",
                    "name": "why",
                    "visibleIf": "{nps_score} <= 6",
                    "title": {"default": "What could we do better?", "ja": "改善点は?"},
                },
            ],
        }
    ]
}


class SurveyImportIn(InputSchema):
    format: Literal["surveyjs"] = Field(description="The tool the definition comes from.")
    definition: Any = Field(
        description="The survey as the tool writes it: SurveyJS JSON (an object with pages, or "
        "elements at its root). Not an object, or without pages: 422 invalid_definition, field "
        "definition.",
        examples=[SURVEYJS_EXAMPLE],
    )
    id: ObjectId | None = Field(
        default=None, description="Your id, [a-z0-9][a-z0-9_-]{0,63}; generated when absent."
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        description="Defaults to the survey's title, else 'Imported SurveyJS survey'.",
    )
    timezone: str | None = Field(default=None, max_length=64, examples=["Asia/Tokyo"])


class ImportProblem(Schema):
    path: str = Field(
        description="JSON path in the imported definition.",
        examples=["pages[0].elements[2].choicesByUrl"],
    )
    problem: str
    code: Literal[
        "unsupported_type",
        "unsupported_property",
        "unknown_property",
        "mapped_approximately",
        "not_evaluated",
        "invalid",
    ]


class SurveyImportOut(SurveyOut):
    import_report: list[ImportProblem] = Field(
        description="What of the definition has no native place, by JSON path; empty when "
        "everything maps."
    )

    @staticmethod
    def resolve_import_report(survey: Survey) -> list[dict[str, str]]:
        return list(getattr(survey, "import_report", []))
