"""SurveyJS JSON in, a Kizuna survey out: the native definition (element types, choices,
texts), the SurveyJS source as it came, and the import report of what has no place natively.

    imported = import_surveyjs(json_from_surveyjs, workspace)
    imported.definition      # native: valid for check_definition
    imported.source          # the SurveyJS JSON, unchanged
    imported.report.entries  # [{path, problem, code}]

Element ids are the SurveyJS element names as they are, page ids the page names (`page1`,
`page2`, ... where unnamed), choice ids the choice values as text. Static panels are
flattened into their page (their elements keep their own ids)."""

import json
from dataclasses import dataclass
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.feedback.definitions import check_definition
from kizuna.feedback.services.settings import LANGUAGE
from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.elements import readable
from kizuna.feedback.surveyjs.expressions import ExpressionError, Node, compiled, variables
from kizuna.feedback.surveyjs.expressions.functions import FUNCTIONS
from kizuna.feedback.surveyjs.expressions.parser import calls
from kizuna.feedback.surveyjs.mapping import Mapper
from kizuna.feedback.surveyjs.properties import (
    EXPRESSION_KEYS,
    SURVEY_PRESENTATION,
    SURVEY_UNSUPPORTED,
    SURVEY_USED,
    TRIGGERS,
)
from kizuna.feedback.surveyjs.report import Report

MAX_BYTES = 512 * 1024
MAX_LANGUAGES = 30


@dataclass
class Imported:
    definition: dict[str, Any]
    source: dict[str, Any]
    report: Report
    languages: list[str]
    default_language: str
    name: str


def check_source(definition: Any) -> dict[str, Any]:
    """A SurveyJS survey: an object with pages (or elements at its root); 422 `definition`."""
    if not isinstance(definition, dict):
        raise ValidationFailed(
            "A SurveyJS survey is a JSON object.", code="invalid_definition", field="definition"
        )
    if len(json.dumps(definition, ensure_ascii=False).encode()) > MAX_BYTES:
        raise ValidationFailed(
            "A SurveyJS survey is at most 512 KB of JSON.", code="too_large", field="definition"
        )
    if not sjs.pages(definition):
        raise ValidationFailed(
            "A SurveyJS survey has pages (or elements at its root); this one has none.",
            code="invalid_definition",
            field="definition",
        )
    return definition


def import_surveyjs(definition: Any, workspace: Workspace, name: str | None = None) -> Imported:
    source = check_source(definition)
    report = Report()
    default_language, languages = _languages(source, report)
    mapper = Mapper(languages, default_language, report)
    _survey_properties(source, report)
    _expressions(source, "", report)
    pages, paths = _pages(source, mapper)
    endings = _endings(source, mapper, {page["id"] for page in pages})
    native: dict[str, Any] = {"pages": pages}
    if endings:
        native["endings"] = endings
    _repair(native, paths, languages, workspace, report)
    title = sjs.localized(source.get("title"), default_language)
    return Imported(
        definition=native,
        source=source,
        report=report,
        languages=languages,
        default_language=default_language,
        name=(name or title or "Imported SurveyJS survey").strip()[:200]
        or "Imported SurveyJS survey",
    )


def _languages(source: dict[str, Any], report: Report) -> tuple[str, list[str]]:
    locale = source.get("locale")
    default = locale if isinstance(locale, str) and LANGUAGE.fullmatch(locale) else "en"
    if locale not in (None, "", default):
        report.add(
            "locale",
            f"The locale {locale!r} is not a language tag; the default texts are taken as English.",
            "invalid",
        )
    others: list[str] = []
    for tag in sorted(sjs.languages_of(source) - {default}):
        if LANGUAGE.fullmatch(tag) and len(others) < MAX_LANGUAGES - 1:
            others.append(tag)
        else:
            report.add(
                "locale",
                f"Texts in {tag!r} are kept in the SurveyJS source only (not a language tag, or "
                f"over {MAX_LANGUAGES} languages).",
                "unsupported_property",
            )
    return default, [default, *others]


def _survey_properties(source: dict[str, Any], report: Report) -> None:
    for key in source:
        if key in SURVEY_USED or key in SURVEY_PRESENTATION:
            continue
        if key in SURVEY_UNSUPPORTED:
            report.add(
                key,
                f"{key}: {SURVEY_UNSUPPORTED[key]}; kept in the SurveyJS source only.",
                "unsupported_property",
            )
        else:
            report.add(
                key,
                f"Kizuna does not know the survey setting {key!r}; kept in the SurveyJS source "
                "only.",
                "unknown_property",
            )
    for i, trigger in enumerate(source.get("triggers") or []):
        kind = trigger.get("type") if isinstance(trigger, dict) else None
        if kind not in TRIGGERS:
            report.add(
                f"triggers[{i}]",
                f"The trigger type {kind!r} is not supported; it is not run.",
                "not_evaluated",
            )


def _expressions(value: Any, path: str, report: Report) -> None:
    """Every expression must parse; one that does not is false (or empty) in SurveyJS too."""
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{key}" if path else key
            if key in EXPRESSION_KEYS and isinstance(item, str) and item.strip():
                try:
                    tree = compiled(item)
                except ExpressionError as error:
                    report.add(
                        at,
                        f"The expression does not parse ({error}); SurveyJS treats it as false or "
                        "empty.",
                        "invalid",
                    )
                    continue
                _outside_runtime(tree, at, report)
            else:
                _expressions(item, at, report)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _expressions(item, f"{path}[{i}]", report)


def _outside_runtime(tree: Node, path: str, report: Report) -> None:
    """Functions registered by a page's own JavaScript, and element properties the runtime
    does not compute (`{$question.containsErrors}`), give nothing here."""
    for name in calls(tree):
        if name.lower() not in FUNCTIONS:
            report.add(
                path,
                f"The function {name}() is not a SurveyJS built-in (a page registers it); it "
                "gives nothing here.",
                "not_evaluated",
            )
    for name in variables(tree):
        if name.startswith("$") and not readable(name[1:]):
            report.add(
                path,
                f"{{{name}}} reads an element property the runtime does not compute (one the "
                "browser sets); it gives nothing.",
                "not_evaluated",
            )


def _pages(source: dict[str, Any], mapper: Mapper) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Native pages, and the SurveyJS path of each native element id."""
    pages: list[dict[str, Any]] = []
    paths: dict[str, str] = {}
    for i, (page, page_name) in enumerate(
        zip(sjs.pages(source), sjs.page_names(source), strict=True)
    ):
        at = sjs.page_path(source, i)
        native_page: dict[str, Any] = {"id": page_name, "elements": []}
        if not _valid_id(page_name):
            mapper.report.add(
                f"{at}.name",
                "The page name is no valid id (spaces at an end, or invisible characters); the "
                "page is left out natively.",
                "invalid",
            )
            continue
        for key, native_key in (("title", "title"), ("description", "description")):
            text = mapper.text(page.get(key), f"{at}.{key}", None)
            if text:
                native_page[native_key] = text
        elements = page.get("elements") or page.get("questions") or []
        if at in ("elements", "questions"):
            walker = _root_walk(elements, at)
        else:
            walker = sjs.walk(elements, at, "elements" if "elements" in page else "questions")
        for element, element_path in walker:
            if element.get("type") in sjs.CONTAINERS:
                continue
            native = mapper.element(element, element_path)
            if native is None:
                continue
            if not _valid_id(native["id"]):
                mapper.report.add(
                    f"{element_path}.name",
                    "The name is no valid id (spaces at an end, invisible characters, over 128 "
                    "characters); left out natively.",
                    "invalid",
                )
                continue
            if native["id"] in paths:
                mapper.report.add(
                    f"{element_path}.name",
                    f"The name {native['id']!r} is taken by an earlier element (SurveyJS shares "
                    "the answer); left out natively.",
                    "invalid",
                )
                continue
            paths[native["id"]] = element_path
            native_page["elements"].append(native)
        pages.append(native_page)
    return pages, paths


def _root_walk(elements: list[Any], key: str) -> Any:
    for i, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        at = f"{key}[{i}]"
        yield element, at
        if element.get("type") in sjs.CONTAINERS:
            yield from sjs.walk(
                sjs.children(element), at, "elements" if "elements" in element else "questions"
            )


def _valid_id(value: Any) -> bool:
    from kizuna.feedback.definitions.common import check_id

    try:
        check_id(value, "id")
    except ValidationFailed:
        return False
    return True


def _endings(source: dict[str, Any], mapper: Mapper, page_ids: set[str]) -> list[dict[str, Any]]:
    """completedHtml as the ending `completed`, completedHtmlOnCondition[i] as `completed-<i+1>`."""
    endings = []
    for i, item in enumerate(source.get("completedHtmlOnCondition") or []):
        at = f"completedHtmlOnCondition[{i}]"
        if not isinstance(item, dict) or not item.get("expression") or not item.get("html"):
            mapper.report.add(
                at, "An ending without an expression or html is never shown; left out.", "invalid"
            )
            continue
        title = mapper.text(item["html"], f"{at}.html", None)
        if title:
            endings.append({"id": ending_id(i), "title": title})
    title = mapper.text(source.get("completedHtml"), "completedHtml", None)
    if title:
        endings.append({"id": ending_id(None), "title": title})
    for ending in endings:
        if ending["id"] in page_ids:
            mapper.report.add(
                "pages",
                f"A page is named {ending['id']!r}, as an ending is; the ending is left out "
                "natively.",
                "invalid",
            )
    return [e for e in endings if e["id"] not in page_ids][:20]


def ending_id(index: int | None) -> str:
    return "completed" if index is None else f"completed-{index + 1}"


def _repair(
    native: dict[str, Any],
    paths: dict[str, str],
    languages: list[str],
    workspace: Workspace,
    report: Report,
) -> None:
    """What the native checker still refuses is left out of the native definition, reported
    at its SurveyJS path; no survey SurveyJS can show is refused for a native rule."""
    for _ in range(1000):
        native["pages"] = [page for page in native["pages"] if page["elements"]]
        if not native["pages"]:
            raise ValidationFailed(
                "Nothing in this SurveyJS survey has a native equivalent (see docs/surveyjs.md).",
                code="invalid_definition",
                field="definition",
            )
        try:
            check_definition(native, languages, workspace)
            return
        except ValidationFailed as error:
            if not _drop_at(native, error.field or "", paths, report, error.message):
                raise


def _drop_at(
    native: dict[str, Any], field: str, paths: dict[str, str], report: Report, message: str
) -> bool:
    import re

    match = re.match(r"definition\.pages\[(\d+)\](?:\.elements\[(\d+)\])?", field)
    if match:
        page = native["pages"][int(match.group(1))]
        if match.group(2) is None:
            for key in ("title", "description"):
                page.pop(key, None)
            report.add(
                f"pages[{match.group(1)}]",
                f"Not valid natively ({message}); the page's texts are left out.",
                "invalid",
            )
            return True
        element = page["elements"].pop(int(match.group(2)))
        report.add(
            paths.get(element["id"], field),
            f"Not valid natively ({message}); left out natively.",
            "invalid",
        )
        return True
    if field.startswith("definition.endings"):
        native.pop("endings", None)
        report.add(
            "completedHtmlOnCondition",
            f"Not valid natively ({message}); the endings are left out.",
            "invalid",
        )
        return True
    return False
