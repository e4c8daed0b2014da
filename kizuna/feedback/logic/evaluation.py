"""The answer of the evaluator: one shape for every survey, written natively or imported."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ElementTexts:
    title: str
    description: str | None = None
    choices: dict[str, str] | None = None  # choice id (a matrix's columns) -> text
    extra: dict[str, str] = field(default_factory=dict)  # labels, placeholders, buttons
    rows: dict[str, str] | None = None  # a matrix's row id -> text


@dataclass
class Evaluation:
    """What a respondent sees for a set of answers, in one language (API.md, evaluate).

    `errors` names, by element id, the codes of what is wrong with the answers now
    (required, out_of_range, too_long, invalid_format, invalid_choice, ...); `valid` is true
    when there is none. `data` is the answers after triggers, default values and calculated
    values; `variables` the survey's variables. `ending` is the ending the answers reach, or
    None while the respondent is still on the way (or at the built-in thank-you).
    `screened_out` is true when a screen-out ended the response."""

    language: str
    visible_pages: list[str] = field(default_factory=list)
    visible_elements: list[str] = field(default_factory=list)
    required_elements: list[str] = field(default_factory=list)
    disabled_elements: list[str] = field(default_factory=list)
    visible_choices: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, ElementTexts] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    ending: str | None = None
    screened_out: bool = False
    # Added by the native evaluator (docs/survey-logic.md); an imported survey's runtime may
    # leave them empty.
    visible_rows: dict[str, list[str]] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    quotas_matched: list[str] = field(default_factory=list)
    ended_by_quota: str | None = None
    complete: bool = False
    current_page: str | None = None
    pages: dict[str, dict[str, str]] = field(default_factory=dict)
    endings: dict[str, dict[str, str]] = field(default_factory=dict)
    welcome: dict[str, Any] | None = None
    ui_language: str = "en"
    ui: dict[str, str] = field(default_factory=dict)
    messages: dict[str, list[str]] = field(default_factory=dict)
    # Beside `errors`, one per code: {"code", "message_key", "params"} (bounds of a range).
    error_details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Added by the SurveyJS runtime (docs/surveyjs.md); a native survey leaves them empty.
    disabled_choices: dict[str, list[str]] = field(default_factory=dict)  # shown, not choosable
    visible_columns: dict[str, list[str]] = field(default_factory=dict)  # of matrices
    skip_to: str | None = None  # the question a skip trigger moved the respondent to

    @property
    def valid(self) -> bool:
        return not self.errors
