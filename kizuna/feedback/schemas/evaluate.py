"""Request and response shapes of `POST /surveys/{survey_id}/evaluate` (API.md, Feedback;
docs/survey-logic.md is the reference)."""

from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, Field

from kizuna.core.schemas import ExternalId, InputSchema, IsoDateTime
from kizuna.feedback.logic.languages import is_tag

MAX_ANSWERS = 2000
MAX_HIDDEN = 50


def _tag(value: str) -> str:
    if not is_tag(value):
        raise ValueError("must be a language tag such as ja or pt-BR")
    return value


LanguageTag = Annotated[
    str,
    Field(
        min_length=2, max_length=35, examples=["ja"], pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
    ),
    AfterValidator(_tag),
]
HiddenValue = Annotated[str, Field(max_length=1000)] | int | float | bool


class EvaluateIn(InputSchema):
    answers: dict[str, Any] = Field(
        default_factory=dict,
        max_length=MAX_ANSWERS,
        description="The answers so far, by element id (docs/surveys.md: the answer of each "
        'element type); the text of an "other" answer under "<element_id>#other". Answers '
        "that do not fit are reported in `errors`, never refused.",
        examples=[{"nps": 3, "why": "Slow delivery"}],
    )
    language: LanguageTag | None = Field(
        default=None,
        description="The language asked for. Served: this one, else the customer's locale, "
        "else the survey's default language, matched against the survey's languages "
        "(pt-BR falls back to pt).",
    )
    hidden: dict[str, HiddenValue] | None = Field(
        default=None,
        max_length=MAX_HIDDEN,
        description="Hidden fields by name (from the link). A field not given takes the "
        "customer's attribute of the same name; names the survey does not declare are ignored.",
        examples=[{"source": "email"}],
    )
    customer_id: ExternalId | None = Field(
        default=None,
        description="The customer's external id: customer fields in logic and recalls. "
        "An unknown customer is evaluated as an anonymous respondent.",
    )
    now: IsoDateTime | None = Field(
        default=None, description="Evaluate conditions on dates as of this time (default: now)."
    )


class ElementTextsOut(Schema):
    title: str
    description: str | None = None
    choices: dict[str, str] | None = Field(
        default=None, description="Visible choices (a matrix's columns) by id."
    )
    rows: dict[str, str] | None = Field(default=None, description="A matrix's visible rows.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="min_label, max_label, placeholder, other_text, true_text, false_text, "
        "label, button_text and button_url, where the element has them.",
    )


class ErrorDetailOut(Schema):
    code: str
    message_key: str
    params: dict[str, Any]


class EvaluationOut(Schema):
    language: str = Field(description="The language served (one of the survey's languages).")
    visible_pages: list[str] = Field(description="The pages on the path, in order.")
    visible_elements: list[str]
    required_elements: list[str]
    disabled_elements: list[str]
    visible_choices: dict[str, list[str]]
    visible_rows: dict[str, list[str]]
    texts: dict[str, ElementTextsOut] = Field(description="Of the visible elements.")
    data: dict[str, Any] = Field(
        description="The answers that count: to visible, enabled elements, valid."
    )
    variables: dict[str, Any]
    hidden: dict[str, str]
    valid: bool
    errors: dict[str, list[str]]
    messages: dict[str, list[str]] = Field(
        description="The errors as sentences in the served language (built-in texts)."
    )
    error_details: dict[str, list[ErrorDetailOut]]
    complete: bool = Field(
        description="The answers reach the end of the path (valid), or a full quota ended them."
    )
    ending: str | None = Field(
        description="The ending reached; null on the way, or at the built-in thank-you "
        "(complete true)."
    )
    screened_out: bool
    quotas_matched: list[str]
    ended_by_quota: str | None
    current_page: str | None = Field(description="The first page on the path with an error.")
    pages: dict[str, dict[str, str]] = Field(description="Titles of the visible pages.")
    endings: dict[str, dict[str, str]]
    welcome: dict[str, Any] | None
    ui_language: str = Field(description="The language of `ui`: en, ja or ko.")
    ui: dict[str, str] = Field(description="Built-in texts: buttons, progress, messages.")
    disabled_choices: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Choices shown but not choosable, by element (an imported SurveyJS "
        "survey's choicesEnableIf; docs/surveyjs.md).",
    )
    visible_columns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The columns a matrix shows, by element (an imported SurveyJS survey).",
    )
    skip_to: str | None = Field(
        default=None,
        description="The question a SurveyJS skip trigger moved the respondent to "
        "(`current_page` is its page); null without one.",
    )


def present(evaluation: Any) -> dict[str, Any]:
    """The evaluation as the response body."""
    body = {name: getattr(evaluation, name) for name in EvaluationOut.model_fields}
    body["valid"] = evaluation.valid
    body["texts"] = {
        key: {
            "title": texts.title,
            "description": texts.description,
            "choices": texts.choices,
            "rows": texts.rows,
            "labels": texts.extra,
        }
        for key, texts in evaluation.texts.items()
    }
    return body
