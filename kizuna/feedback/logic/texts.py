"""The texts a respondent reads, in the served language, with recalls filled in.

A recall (`{answers.nps|fallback}`, definitions/recall.py) shows:
- an answer as the respondent sees it: a choice's text (the typed text for `other`), the
  texts of several choices joined by ", ", a matrix row's column text, yes or no (built-in
  texts) for a boolean or consent, numbers and dates as written;
- a hidden field's value, a variable's value (`12`, `12.5`), a customer field read as a
  condition reads it (dates as `YYYY-MM-DD`, lists joined by ", ");
- its fallback when there is no value (an answer not given, hidden, or refused), or nothing
  when there is no fallback."""

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kizuna.core.conditions import MISSING, Context
from kizuna.feedback.definitions.elements import OTHER_ID
from kizuna.feedback.definitions.recall import RECALL
from kizuna.feedback.logic.answers import other_key
from kizuna.feedback.logic.evaluation import ElementTexts
from kizuna.feedback.logic.expressions import to_text
from kizuna.feedback.logic.languages import pick
from kizuna.feedback.logic.plan import Element, Plan

# Settings of an element that are texts, shown beside its title (ElementTexts.extra).
LABEL_KEYS = (
    "min_label",
    "max_label",
    "placeholder",
    "other_text",
    "true_text",
    "false_text",
    "label",
)


class Renderer:
    """Fills the texts of one evaluation: one language, one set of answers."""

    def __init__(
        self,
        plan: Plan,
        served: str,
        default_language: str,
        data: Mapping[str, Any],
        hidden: Mapping[str, str],
        variables: Mapping[str, Decimal | None],
        ui: Mapping[str, str],
        context: Context,
    ) -> None:
        self.plan = plan
        self.served = served
        self.default_language = default_language
        self.data = data
        self.hidden = hidden
        self.variables = variables
        self.ui = ui
        self.context = context

    def text(self, value: Any) -> str:
        raw = pick(value, self.served, self.default_language)
        if "{" not in raw:
            return raw
        return RECALL.sub(lambda m: self._recall(m.group(1), m.group(2)), raw)

    def optional(self, value: Any) -> str | None:
        return None if value is None else self.text(value)

    def _recall(self, name: str, fallback: str | None) -> str:
        shown = self._value(name)
        return shown if shown else (fallback or "")

    def _value(self, name: str) -> str:
        prefix, _, rest = name.partition(".")
        if prefix == "answers":
            return self._answer(rest)
        if prefix == "hidden":
            return self.hidden.get(rest, "")
        if prefix == "variables":
            value = self.variables.get(rest)
            return "" if value is None else to_text(value)
        leaf = self.plan.recall_leaf(name)
        if leaf is None or leaf.spec.in_memory is None:
            return ""
        return _shown(leaf.spec.in_memory(leaf)(self.context))

    def _answer(self, key: str) -> str:
        row = None
        element = self.plan.elements.get(key)
        if element is None and key.endswith("]") and "[" in key:
            key, _, row = key[:-1].rpartition("[")
            element = self.plan.elements.get(key)
        if element is None or key not in self.data:
            return ""
        value = self.data[key]
        if element.type == "matrix":
            column = value.get(row) if isinstance(value, dict) and row is not None else None
            return self._choice_text(element, column) if column is not None else ""
        if element.type in ("single_choice", "dropdown"):
            return self._choice_text(element, value)
        if element.type in ("multiple_choice", "ranking"):
            return ", ".join(self._choice_text(element, item) for item in value)
        if isinstance(value, bool):
            return self.ui["yes"] if value else self.ui["no"]
        return str(value)

    def _choice_text(self, element: Element, choice_id: Any) -> str:
        if choice_id == OTHER_ID and element.other:
            typed = self.data.get(other_key(element.id))
            if isinstance(typed, str) and typed.strip():
                return typed
            label = element.source.get("other_text")
            return self.text(label) if label is not None else self.ui["other"]
        for choice in element.choices:
            if choice.id == choice_id:
                return pick(choice.text, self.served, self.default_language)
        return str(choice_id)

    def element(
        self, element: Element, choices: list[str] | None, rows: list[str] | None
    ) -> ElementTexts:
        source = element.source
        texts = ElementTexts(
            title=self.text(source.get("title")),
            description=self.optional(source.get("description")),
        )
        if choices is not None:
            by_id = {choice.id: choice for choice in element.choices}
            texts.choices = {
                choice_id: self._choice_label(element, by_id, choice_id) for choice_id in choices
            }
        if rows is not None:
            by_id = {row.id: row for row in element.rows}
            texts.rows = {row_id: self.text(by_id[row_id].text) for row_id in rows}
        for key in LABEL_KEYS:
            if key in source:
                texts.extra[key] = self.text(source[key])
        if element.type == "boolean":
            texts.extra.setdefault("true_text", self.ui["yes"])
            texts.extra.setdefault("false_text", self.ui["no"])
        if element.type == "dropdown":
            texts.extra.setdefault("placeholder", self.ui["select"])
        button = source.get("button")
        if isinstance(button, dict) and "text" in button:
            texts.extra["button_text"] = self.text(button["text"])
            if "url" in button:
                texts.extra["button_url"] = str(button["url"])
        return texts

    def _choice_label(self, element: Element, by_id: dict[str, Any], choice_id: str) -> str:
        if choice_id == OTHER_ID and element.other and choice_id not in by_id:
            label = element.source.get("other_text")
            return self.text(label) if label is not None else self.ui["other"]
        return self.text(by_id[choice_id].text)

    def page(self, source: Mapping[str, Any]) -> dict[str, str]:
        texts = {}
        for key in ("title", "description"):
            if key in source:
                texts[key] = self.text(source[key])
        return texts

    def ending(self, source: Mapping[str, Any]) -> dict[str, str]:
        texts = {"title": self.text(source.get("title"))}
        if "text" in source:
            texts["text"] = self.text(source["text"])
        if "redirect_url" in source:
            texts["redirect_url"] = str(source["redirect_url"])
        return texts

    def welcome(self, source: Any) -> dict[str, Any] | None:
        if not isinstance(source, dict):
            return None
        texts: dict[str, Any] = {"title": self.text(source.get("title"))}
        if "text" in source:
            texts["text"] = self.text(source["text"])
        texts["button_text"] = (
            self.text(source["button_text"]) if "button_text" in source else self.ui["start"]
        )
        texts["enabled"] = bool(source.get("enabled", True))
        return texts


def _shown(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return to_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set | list | tuple):
        return ", ".join(sorted(str(item) for item in value))
    return str(value)
