"""The answer projection: one `Answer` row per answer of a response, typed by its element's
kind (the model's docstring), rewritten in the transaction that saves the response.

    nps, csat, ces, rating       one row, `number` the score, kind as the element type
    single_choice, dropdown      one row, kind choice, `choice` the id (`text` the other text)
    multiple_choice              one row per chosen choice, kind choice (the same)
    ranking                      one row per ranked choice, kind ranking, `number` its rank
                                 (1 first)
    matrix                       one row per answered row, kind matrix, `row`, `choice` the column
    text                         one row, kind text, `text`; in the number format kind number,
                                 `number` the value and `text` as sent; in the email and url
                                 formats kind email or url (open texts only are analysed)
    date                         one row, kind date, `date`
    boolean, consent             one row, kind boolean, `number` 1 or 0
    statement                    none

`finished` is whether the response is final; `answered_at` the time of the save. Results are
SQL aggregates over these rows, so the rows are rewritten whole on every save (delete, then
one bulk insert): they always say what the response says now. An answer that is no answer
(blank text, an empty list or object) has no row."""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kizuna.core.bulk import bulk_insert
from kizuna.feedback.logic.answers import OTHER_SUFFIX, answered
from kizuna.feedback.logic.expressions import number
from kizuna.feedback.models import Answer, AnswerKind, Response
from kizuna.feedback.results import rollup

SCORE_KINDS = {"nps": AnswerKind.NPS, "csat": AnswerKind.CSAT, "ces": AnswerKind.CES}


def elements_of(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The elements of a definition, in order."""
    for page in definition.get("pages", []):
        yield from page.get("elements", [])


def number_format(element: dict[str, Any]) -> bool:
    return element["type"] == "text" and element.get("validation", {}).get("format") == "number"


_SHAPES: dict[str, type | tuple[type, ...]] = {
    "multiple_choice": list,
    "ranking": list,
    "matrix": dict,
    "single_choice": (str, int, float),
    "dropdown": (str, int, float),
    "text": (str, int, float),
    "date": str,
}


def _rows(element: dict[str, Any], value: Any, other: str) -> Iterator[dict[str, Any]]:
    """The column values of the rows of one answer. Choice and row ids are text: an imported
    SurveyJS survey's values may be numbers (choice `value` 1 is the choice id "1"). A value
    of another shape than its element's (which the checks refuse in a native survey) has no
    row."""
    kind = element["type"]
    if isinstance(value, bool) and kind not in ("boolean", "consent"):
        return
    if kind in _SHAPES and not isinstance(value, _SHAPES[kind]):
        return
    if kind in SCORE_KINDS or kind == "rating":
        if isinstance(value, int | float | Decimal):
            yield {"kind": SCORE_KINDS.get(kind, AnswerKind.RATING), "number": Decimal(value)}
    elif kind in ("single_choice", "dropdown"):
        yield {
            "kind": AnswerKind.CHOICE,
            "choice": str(value),
            "text": other if value == "other" else "",
        }
    elif kind == "multiple_choice":
        for choice in value:
            text = other if choice == "other" else ""
            yield {"kind": AnswerKind.CHOICE, "choice": str(choice), "text": text}
    elif kind == "ranking":
        for rank, choice in enumerate(value, start=1):
            yield {"kind": AnswerKind.RANKING, "choice": str(choice), "number": Decimal(rank)}
    elif kind == "matrix":
        for row, column in value.items():
            yield {"kind": AnswerKind.MATRIX, "row": str(row), "choice": str(column)}
    elif kind == "text":
        text_format = element.get("validation", {}).get("format")
        if text_format == "number":
            yield {"kind": AnswerKind.NUMBER, "number": number(value), "text": str(value)}
        elif text_format in ("email", "url"):
            yield {"kind": AnswerKind(text_format), "text": str(value)}
        else:
            yield {"kind": AnswerKind.TEXT, "text": str(value)}
    elif kind == "date":
        try:
            yield {"kind": AnswerKind.DATE, "date": date.fromisoformat(value[:10])}
        except ValueError:
            return
    elif kind in ("boolean", "consent"):
        yield {"kind": AnswerKind.BOOLEAN, "number": Decimal(1 if value else 0)}


def answer_rows(
    response: Response,
    definition: dict[str, Any],
    *,
    finished: bool,
    moment: datetime,
    values: dict[str, Any] | None = None,
) -> list[Answer]:
    """The projection of the response's (checked) answers, in the definition's order;
    `values` instead of the answers as sent (an imported survey's data after its triggers
    and calculations)."""
    rows: list[Answer] = []
    answers = response.answers if values is None else values
    for element in elements_of(definition):
        if not answered(answers.get(element["id"])):
            continue
        other = answers.get(element["id"] + OTHER_SUFFIX, "")
        for columns in _rows(element, answers[element["id"]], other):
            rows.append(
                Answer(
                    workspace_id=response.workspace_id,
                    response=response,
                    survey_id=response.survey_id,
                    customer_id=response.customer_id,
                    element_id=element["id"],
                    finished=finished,
                    answered_at=moment,
                    **columns,
                )
            )
    return rows


def write_answers(
    response: Response,
    definition: dict[str, Any],
    *,
    finished: bool,
    moment: datetime,
    created: bool,
    values: dict[str, Any] | None = None,
) -> list[Answer]:
    """Rewrite the response's projection, and move the survey's daily counts with it;
    returns its rows."""
    removed: list[Answer] = []
    if not created:
        removed = list(
            Answer.objects.filter(response=response).only(
                "finished", "answered_at", "element_id", "row", "choice", "number"
            )
        )
        if removed:
            Answer.objects.filter(response=response).delete()
    rows = answer_rows(response, definition, finished=finished, moment=moment, values=values)
    if rows:
        bulk_insert(rows)
    rollup.apply_answers(response, removed, rows)
    return rows
