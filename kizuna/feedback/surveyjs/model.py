"""A SurveyJS survey's questions as the runtime walks them: where each sits (page, static
panels above it), the key of its value in the data (`valueName` or its name), and the
questions of dynamic panels' templates."""

from dataclasses import dataclass, field
from typing import Any

from kizuna.feedback.surveyjs import source as sjs

DYNAMIC = ("paneldynamic",)
MATRICES = ("matrixdropdown", "matrixdynamic")
NO_VALUE = ("html", "image")


@dataclass(frozen=True)
class Question:
    json: dict[str, Any]
    name: str
    page: int
    panels: tuple[dict[str, Any], ...] = ()  # static panels around it, outermost first

    @property
    def kind(self) -> str:
        return str(self.json.get("type", ""))

    @property
    def key(self) -> str:
        value_name = self.json.get("valueName")
        return value_name if isinstance(value_name, str) and value_name else self.name

    @property
    def has_value(self) -> bool:
        return self.kind not in NO_VALUE


@dataclass
class Model:
    source: dict[str, Any]
    pages: list[dict[str, Any]]
    page_names: list[str]
    questions: list[Question] = field(default_factory=list)
    by_name: dict[str, Question] = field(default_factory=dict)  # lower-cased names

    def find(self, name: str) -> Question | None:
        return self.by_name.get(name.lower())


def _collect(
    elements: list[Any], page: int, panels: tuple[dict[str, Any], ...], out: list[Question]
) -> None:
    for element in elements:
        if not isinstance(element, dict):
            continue
        if element.get("type") in sjs.CONTAINERS:
            _collect(sjs.children(element), page, (*panels, element), out)
            continue
        name = element.get("name")
        if isinstance(name, str) and name:
            out.append(Question(element, name, page, panels))


def build(source: dict[str, Any]) -> Model:
    pages = sjs.pages(source)
    model = Model(source, pages, sjs.page_names(source))
    for i, page in enumerate(pages):
        _collect(sjs.children(page), i, (), model.questions)
    for question in model.questions:
        model.by_name.setdefault(question.name.lower(), question)
    return model


def template(question: Question) -> list[Question]:
    """The questions of a dynamic panel's template, static panels inside it flattened."""
    found: list[Question] = []
    elements = question.json.get("templateElements") or question.json.get("questions") or []
    _collect(elements if isinstance(elements, list) else [], question.page, (), found)
    return found


def columns(question: Question) -> list[dict[str, Any]]:
    return [c for c in question.json.get("columns") or [] if isinstance(c, dict) and c.get("name")]
