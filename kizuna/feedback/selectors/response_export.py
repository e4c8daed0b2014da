"""A survey's responses as CSV (UTF-8) or XLSX: one row per response, its metadata, then one
column per element of every version (the current version's order first, then the elements
earlier versions had), then one per hidden field. Choices are written as their labels in the
language asked for. The responses are read in chunks and written as they are read, so memory
stays flat (docs/survey-responses.md, Export).

    nps, csat, ces, rating      the score
    single_choice, dropdown     the label; `<id>#other` the other text, when the element has one
    multiple_choice             the labels chosen, in the choices' order, joined by "; "
    ranking                     the labels in rank order, joined by "; "
    matrix                      one column per row, `<id>[<row_id>]`: the column's label
    text                        the text (the number, in the number format); beside an open
                                text, `<id>.sentiment`: positive, negative, neutral or mixed,
                                once analysed (empty until then); `<id>#other.sentiment` too
    date                        the date
    boolean                     its true_text or false_text label, else true or false
    consent                     true or false"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.imports.readers import CONTENT_TYPES, FileFormat
from kizuna.core.models import Workspace
from kizuna.core.tables import csv_stream, xlsx_stream
from kizuna.customers.imports.columns import guard
from kizuna.feedback.logic.answers import OTHER_SUFFIX
from kizuna.feedback.logic.expressions import number
from kizuna.feedback.models import Answer, Response, Survey, SurveyVersion
from kizuna.feedback.selectors.responses import survey_of
from kizuna.feedback.services.answers import elements_of, number_format
from kizuna.feedback.services.enrichment import TEXT_KINDS
from kizuna.feedback.surveyjs.exporter import export_survey

EXPORT_CHUNK = 1_000
JOIN = "; "
META_COLUMNS = (
    "response_id",
    "submission_id",
    "customer_id",
    "status",
    "ending",
    "language",
    "channel",
    "device",
    "version",
    "started_at",
    "completed_at",
)
CHOICE_TYPES = ("single_choice", "dropdown", "multiple_choice", "ranking")
Cell = Any
# Times as the API writes them (UTC, milliseconds, "Z").
_TIMES = DjangoJSONEncoder()


@dataclass
class ResponseExport:
    """A file being produced: iterate `chunks` for its bytes."""

    filename: str
    content_type: str
    rows: int = 0
    chunks: Iterator[bytes] = field(default_factory=lambda: iter(()))


def _label(text: Any, language: str) -> str:
    if not isinstance(text, dict):
        return ""
    return str(text.get(language) or text.get("default") or "")


@dataclass
class _Element:
    definition: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)  # choice (column) id -> label
    rows: list[str] = field(default_factory=list)  # matrix row ids, in order


@dataclass
class _Layout:
    language: str
    elements: list[_Element]
    hidden: list[str]
    header: list[str] = field(default_factory=list)
    cells: list[Callable[[Response], Cell]] = field(default_factory=list)


def _collect(survey: Survey, language: str) -> _Layout:
    """The elements of every version, newest first, each with the labels of its choices in
    every version (the newest label wins)."""
    earlier = (
        SurveyVersion.objects.for_workspace(survey.workspace_id)
        .filter(survey=survey)
        .exclude(number=survey.version)
        .order_by("-number")
        .values_list("definition", flat=True)
    )
    definitions = [survey.definition, *earlier]
    elements: dict[str, _Element] = {}
    hidden: list[str] = []
    for definition in definitions:
        hidden += [name for name in definition.get("hidden_fields", []) if name not in hidden]
        for element in elements_of(definition):
            if element["type"] == "statement":
                continue
            known = elements.setdefault(element["id"], _Element(element))
            for choice in element.get("choices", []):
                known.labels.setdefault(choice["id"], _label(choice["text"], language))
            if element.get("other"):
                other = _label(element.get("other_text"), language) or "Other"
                known.labels.setdefault("other", other)
            known.rows += [r["id"] for r in element.get("rows", []) if r["id"] not in known.rows]
    return _Layout(language, list(elements.values()), hidden)


def _meta_cells(layout: _Layout) -> None:
    def value(name: str) -> Callable[[Response], Cell]:
        def get(r: Response) -> Cell:
            if name == "response_id":
                return r.key
            if name == "customer_id":
                return r.customer.external_id if r.customer is not None else None
            if name in ("started_at", "completed_at"):
                moment = getattr(r, name)
                return _TIMES.default(moment) if moment is not None else None
            return getattr(r, name) or None

        return get

    for name in META_COLUMNS:
        layout.header.append(name)
        layout.cells.append(value(name))


def _element_cells(layout: _Layout, item: _Element) -> None:
    element = item.definition
    eid, kind = element["id"], element["type"]

    def label(choice: Any) -> str:
        return item.labels.get(choice, str(choice))

    def add(name: str, get: Callable[[Any], Cell], key: str = eid) -> None:
        layout.header.append(name)
        layout.cells.append(lambda r: None if r.answers.get(key) is None else get(r.answers[key]))

    if kind == "matrix":
        for row in item.rows:
            add(f"{eid}[{row}]", _matrix_row(row, label))
        return
    if kind in ("single_choice", "dropdown"):
        add(eid, label)
    elif kind == "multiple_choice":
        order = list(item.labels)
        add(eid, lambda v: JOIN.join(label(c) for c in sorted(v, key=_position(order))))
    elif kind == "ranking":
        add(eid, lambda v: JOIN.join(label(c) for c in v))
    elif number_format(element):
        add(eid, _number)
    elif kind == "date":
        add(eid, date.fromisoformat)
    elif kind == "boolean":
        yes = _label(element.get("true_text"), layout.language) or "true"
        no = _label(element.get("false_text"), layout.language) or "false"
        add(eid, lambda v: yes if v else no)
    elif kind == "consent":
        add(eid, lambda v: "true" if v else "false")
    else:
        add(eid, lambda v: v)
        if kind == "text" and not element.get("validation", {}).get("format"):
            _sentiment_cell(layout, eid, (eid, ""))
    if kind in CHOICE_TYPES and element.get("other"):
        add(eid + OTHER_SUFFIX, lambda v: v, key=eid + OTHER_SUFFIX)
        _sentiment_cell(layout, eid + OTHER_SUFFIX, (eid, "other"))


def _sentiment_cell(layout: _Layout, name: str, key: tuple[str, str]) -> None:
    layout.header.append(f"{name}.sentiment")
    layout.cells.append(lambda r: getattr(r, "sentiments", {}).get(key))


def _matrix_row(row: str, label: Callable[[Any], str]) -> Callable[[Any], Cell]:
    return lambda value: label(value[row]) if row in value else None


def _hidden(name: str) -> Callable[[Response], Cell]:
    return lambda response: response.hidden.get(name)


def _position(order: list[str]) -> Callable[[str], int]:
    return lambda choice: order.index(choice) if choice in order else len(order)


def _number(value: Any) -> Cell:
    parsed = number(value)
    if parsed is None:
        return str(value)
    return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)


def layout_for(survey: Survey, language: str) -> _Layout:
    layout = _collect(survey, language)
    _meta_cells(layout)
    for item in layout.elements:
        _element_cells(layout, item)
    for name in layout.hidden:
        layout.header.append(f"hidden.{name}")
        layout.cells.append(_hidden(name))
    return layout


def _batches(survey: Survey) -> Iterator[list[Response]]:
    last = 0
    while True:
        batch = list(
            Response.objects.for_workspace(survey.workspace_id)
            .filter(survey=survey, pk__gt=last)
            .select_related("customer")
            .order_by("pk")[:EXPORT_CHUNK]
        )
        if not batch:
            return
        _attach_sentiments(batch)
        yield batch
        if len(batch) < EXPORT_CHUNK:
            return
        last = batch[-1].pk


def _attach_sentiments(batch: list[Response]) -> None:
    """The sentiment of each analysed open answer of the batch, one query: on each response,
    `sentiments` by (element id, "" or "other")."""
    by_response: dict[int, dict[tuple[str, str], str]] = {r.pk: {} for r in batch}
    analysed = (
        Answer.objects.filter(response_id__in=list(by_response), kind__in=TEXT_KINDS)
        .exclude(sentiment="")
        .values_list("response_id", "element_id", "choice", "sentiment")
    )
    for response_id, element_id, choice, sentiment in analysed:
        by_response[response_id][(element_id, "other" if choice == "other" else "")] = sentiment
    for response in batch:
        response.sentiments = by_response[response.pk]  # type: ignore[attr-defined]


def _csv_text(value: Cell) -> str:
    return guard(value) if isinstance(value, str) else str(value)


def _rows(survey: Survey, layout: _Layout, export: ResponseExport) -> Iterator[list[list[Cell]]]:
    for batch in _batches(survey):
        export.rows += len(batch)
        yield [[cell(response) for cell in layout.cells] for response in batch]


def export_language(survey: Survey, language: str | None) -> str:
    if language is None:
        return survey.default_language
    if language not in survey.languages:
        raise ValidationFailed(
            f"language is one of the survey's: {', '.join(survey.languages)}.",
            code="invalid_language",
            field="language",
        )
    return language


def export_responses(
    workspace: Workspace, survey_key: str, file_format: str, language: str | None
) -> ResponseExport:
    """The survey's responses as a CSV or XLSX file, produced while `chunks` is iterated."""
    kind = FileFormat(file_format)
    survey = survey_of(workspace, survey_key)
    layout = layout_for(survey, export_language(survey, language))
    export = ResponseExport(
        filename=f"{survey.key}-responses-{now():%Y%m%d}.{kind}", content_type=CONTENT_TYPES[kind]
    )
    rows = _rows(survey, layout, export)
    if kind is FileFormat.XLSX:
        export.chunks = xlsx_stream("responses", layout.header, rows)
    else:
        export.chunks = csv_stream(layout.header, rows, _csv_text)
    return export


def exported_definition(
    workspace: Workspace, survey_key: str, export_format: str = "kizuna"
) -> tuple[Survey, dict[str, Any]]:
    """The survey's current definition: as Kizuna defines it (`kizuna`), or as SurveyJS JSON
    (`surveyjs`: an imported survey's source, unchanged; a native one written out)."""
    survey = survey_of(workspace, survey_key)
    if export_format == "surveyjs":
        return survey, export_survey(survey)
    return survey, survey.definition
