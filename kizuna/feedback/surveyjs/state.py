"""The state of one SurveyJS run: the data, the variables, and what the data makes visible,
required, enabled and offered, as SurveyJS decides it.

Contexts: inside a dynamic panel an expression reads the panel's values as `{panel.x}` (and
`{panelIndex}`, from 0); in a matrix row as `{row.x}` (`{rowIndex}`, from 1); for a choice
`{item}` is its value and `{$item.x}` a property of it. Everything else reads the survey's
data, variables and calculated values."""

import copy
import json
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.elements import Elements
from kizuna.feedback.surveyjs.expressions import (
    ExpressionError,
    Scope,
    compiled,
    run,
    run_condition,
    variables,
)
from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.model import Model, Question, build, columns

Context = dict[str, Any]
# `{$name...}` other than a choice's own `{$item...}`/`{$choice...}`
_ELEMENT_REFERENCE = re.compile(r"\{\s*\$(?!item\b|choice\b)", re.IGNORECASE)


class Run:
    def __init__(
        self, source: dict[str, Any], *, language: str, hidden: dict[str, Any] | None, now: datetime
    ) -> None:
        self.model: Model = build(source)
        self.source = source
        self.language = language
        locale = source.get("locale")
        self.default_language: str = locale if isinstance(locale, str) and locale else "en"
        self.now = now
        self.data: dict[str, Any] = {}
        self.variables: dict[str, Any] = dict(hidden or {})
        self.calculated: dict[str, Any] = {}
        self.answered: set[str] = set()  # data keys the respondent set
        self.visible_set: dict[str, bool] = {}  # by question or page name, by visible triggers
        # The choices each question showed when last computed (to clear on a change).
        self.shown_choices: dict[str, list[sjs.Choice]] = {}
        self.completed = False
        # Out-of-range values of min/max inputs: the question holds them, the data does not
        self.held: dict[str, Any] = {}
        self.skip_to: str | None = None  # the question the last skip trigger went to
        # What each question disabled, and each matrix showed, when last computed.
        self.disabled_shown: dict[str, list[Any]] = {}
        self.columns_shown: dict[str, list[Any]] = {}
        # Change tracking: every change of a value bumps `epoch` and records it by name (lower
        # case), so that what depends on unchanged names is not computed again.
        self.epoch = 0
        self.changed_at: dict[str, int] = {}
        self._merged: tuple[int, dict[str, Any]] = (-1, {})
        self._choices: dict[str, tuple[int, frozenset[str], list[sjs.Choice]]] = {}
        self._names: dict[str, frozenset[str] | None] = {}
        self._computing: set[str] = set()
        # `{$name.property}` reads (elements.py), where the survey has any
        self.elements: Elements | None = (
            Elements(self) if _ELEMENT_REFERENCE.search(json.dumps(source)) else None
        )

    # -- expressions ---------------------------------------------------------------------
    def touch(self, name: str) -> None:
        self.epoch += 1
        self.changed_at[name.lower()] = self.epoch

    def set_variable(self, name: str, value: Any) -> None:
        if not js.equals(self.variables.get(name), value, ignore_order=False):
            self.touch(name)
        self.variables[name] = value

    def set_calculated(self, name: str, value: Any) -> None:
        if not js.equals(self.calculated.get(name), value, ignore_order=False):
            self.touch(name)
        self.calculated[name] = value

    def values(self, context: Context | None = None) -> Mapping[str, Any]:
        epoch, merged = self._merged
        if epoch != self.epoch:
            merged = {**self.variables, **self.calculated, **self.data}
            self._merged = (self.epoch, merged)
        maps: list[Mapping[str, Any]] = [context] if context else []
        maps.append(merged)
        if self.elements is not None:
            maps.append(self.elements)
        # ChainMap only reads here: the element properties are a read-only mapping
        return ChainMap(*cast(list[MutableMapping[str, Any]], maps)) if len(maps) > 1 else merged

    def scope(self, context: Context | None = None) -> Scope:
        return Scope(self.values(context), now=self.now)

    def holds(self, expression: Any, context: Context | None = None, empty: bool = True) -> bool:
        if not isinstance(expression, str) or not expression.strip():
            return empty
        return run_condition(expression, self.scope(context))

    def fires(self, expression: str) -> bool:
        """A trigger's condition: its value must be true itself (SurveyJS checks `=== true`,
        where visibleIf and the like accept anything `== true`)."""
        return self.value_of(expression) is True

    def value_of(self, expression: str, context: Context | None = None) -> Any:
        try:
            return run(expression, self.scope(context))
        except ValueError:
            return None

    # -- data ----------------------------------------------------------------------------
    def get(self, question: Question) -> Any:
        return self.data.get(question.key)

    def put(self, key: str, value: Any) -> bool:
        """Set (or, for an empty value, remove) a data key; whether it changed."""
        before = self.data.get(key)
        if js.is_empty(value):
            self.data.pop(key, None)
        else:
            self.data[key] = value
        changed = not js.equals(before, self.data.get(key), ignore_order=False)
        if changed or before is not self.data.get(key):
            self.touch(key)
        return changed

    def panel_values(self, question: Question) -> list[dict[str, Any]]:
        value = self.get(question)
        items = value if isinstance(value, list) else []
        count = max(
            len(items),
            _int(question.json.get("panelCount")),
            _int(question.json.get("minPanelCount")),
        )
        return [item if isinstance(item, dict) else {} for item in items] + [
            {} for _ in range(count - len(items))
        ]

    def matrix_rows(self, question: Question) -> list[tuple[str, Any, dict[str, Any]]]:
        """(address, row value, row values) of every row of a matrixdropdown/matrixdynamic."""
        value = self.get(question)
        if question.kind == "matrixdynamic":
            items = value if isinstance(value, list) else []
            count = max(
                len(items),
                _int(question.json.get("rowCount", 2)),
                _int(question.json.get("minRowCount")),
            )
            rows = [item if isinstance(item, dict) else {} for item in items] + [
                {} for _ in range(count - len(items))
            ]
            return [(str(i), i, row) for i, row in enumerate(rows)]
        found: dict[str, Any] = value if isinstance(value, dict) else {}
        return [(c.id, c.value, _row(found.get(c.id))) for c in sjs.choices(question.json, "rows")]

    # -- visibility ----------------------------------------------------------------------
    def switch(
        self, spec: dict[str, Any], flag: str, condition: str, context: Context | None
    ) -> Any:
        """A property its condition overrides (visible/visibleIf, readOnly/enableIf,
        isRequired/requiredIf): the condition's own value when there is a condition (SurveyJS
        then compares it strictly: `=== true`, `=== false`), else the property."""
        expression = spec.get(condition)
        if isinstance(expression, str) and expression.strip():
            return self.value_of(expression, context)
        return spec.get(flag)

    def container_shown(self, container: dict[str, Any], context: Context | None = None) -> bool:
        expression = container.get("visibleIf")
        if isinstance(expression, str) and expression.strip():
            return self.value_of(expression, context) is True
        return container.get("visible", True) is not False

    def question_shown(self, question: Question, context: Context | None = None) -> bool:
        """Visible by its own settings and its panels' (not yet its page's): visibleIf
        decides when there is one (true itself), else `visible` or a visible trigger."""
        if not self.own_visible(question, context, with_choices=False):
            return False
        if not all(self.container_shown(panel, context) for panel in question.panels):
            return False
        hide_if_empty = question.json.get("hideIfChoicesEmpty")
        return not (hide_if_empty and not self.visible_choices(question, context))

    def own_visible(
        self, question: Question, context: Context | None = None, with_choices: bool = True
    ) -> bool:
        """`visible` as SurveyJS sets it (visibleIf, else `visible` or a visible trigger);
        `isVisible` (`with_choices`) also hides it by hideIfChoicesEmpty."""
        spec = question.json
        if isinstance(spec.get("visibleIf"), str) and spec["visibleIf"].strip():
            shown = self.value_of(spec["visibleIf"], context) is True
        else:
            shown = self.visible_set.get(question.name, spec.get("visible", True) is not False)
        if shown and with_choices and spec.get("hideIfChoicesEmpty"):
            return bool(self.visible_choices(question, context))
        return shown

    def page_shown(self, index: int) -> bool:
        """A page shows when its own settings allow and it has a visible element."""
        page = self.model.pages[index]
        if not self.visible_set.get(self.model.page_names[index], True):
            return False
        if not self.container_shown(page):
            return False
        return any(self.question_shown(q) for q in self.model.questions if q.page == index)

    def visible(self, question: Question) -> bool:
        return self.question_shown(question) and self.page_shown(question.page)

    def enabled(self, question: Question, context: Context | None = None) -> bool:
        """Disabled by readOnly, or by an enableIf whose value is false itself, of the
        question, its panels or its page."""
        page = self.model.pages[question.page]
        return all(
            self.own_enabled(item, context) for item in (page, *question.panels, question.json)
        )

    def own_enabled(self, item: dict[str, Any], context: Context | None = None) -> bool:
        has_condition = isinstance(item.get("enableIf"), str) and item["enableIf"].strip()
        value = self.switch(item, "readOnly", "enableIf", context)
        return not ((has_condition and value is False) or (not has_condition and value is True))

    @contextmanager
    def guard(self, what: str) -> Iterator[bool]:
        """Whether `what` is free to compute (False while it is being computed: an element
        property read by its own condition)."""
        if what in self._computing:
            yield False
            return
        self._computing.add(what)
        try:
            yield True
        finally:
            self._computing.discard(what)

    def required(self, question: Question, context: Context | None = None) -> bool:
        return self.switch(question.json, "isRequired", "requiredIf", context) is True

    # -- choices -------------------------------------------------------------------------
    def all_choices(self, question: Question, context: Context | None = None) -> list[sjs.Choice]:
        """The choices before visibility: copied from another question, or its own."""
        found = sjs.choices(question.json)
        source_name = question.json.get("choicesFromQuestion")
        if isinstance(source_name, str) and source_name:
            other = self.model.find(source_name)
            if other is not None and other is not question:
                offered = [c for c in self.visible_choices(other, context, built_ins=False)]
                mode = question.json.get("choicesFromQuestionMode", "all")
                chosen = other_value = self.get(other)
                if mode in ("selected", "unselected"):
                    chosen_list = (
                        chosen if isinstance(chosen, list) else [] if chosen is None else [chosen]
                    )
                    picked = [c for c in offered if any(js.equals(c.value, v) for v in chosen_list)]
                    offered = (
                        picked if mode == "selected" else [c for c in offered if c not in picked]
                    )
                del other_value
                found = offered + found
        if question.kind == "rating":
            found = sjs.rating_values(question.json)
        return found

    def _choice_names(self, question: Question) -> frozenset[str] | None:
        """The names a question's choice conditions read (None: cannot tell)."""
        if question.json.get("choicesFromQuestion"):
            return None
        if question.name in self._names:
            return self._names[question.name]
        names: set[str] = set()
        expressions = [question.json.get("choicesVisibleIf")]
        expressions += [c.data.get("visibleIf") for c in sjs.choices(question.json)]
        for expression in expressions:
            if isinstance(expression, str) and expression.strip():
                try:
                    read = variables(compiled(expression))
                except ExpressionError:
                    continue
                names.update(n.lower().lstrip("#").split(".")[0].split("[")[0] for n in read)
        names -= {"item", "choice", "$item", "$choice"}
        # an element's property (`{$q.isVisible}`) changes without a value changing
        self._names[question.name] = (
            None if any(n.startswith("$") for n in names) else frozenset(names)
        )
        return self._names[question.name]

    def visible_choices(
        self, question: Question, context: Context | None = None, built_ins: bool = True
    ) -> list[sjs.Choice]:
        if context is None and built_ins:
            names = self._choice_names(question)
            cached = self._choices.get(question.name)
            if (
                names is not None
                and cached is not None
                and all(self.changed_at.get(n, 0) <= cached[0] for n in names)
            ):
                return cached[2]
            found = self._visible_choices(question, None, True)
            if names is not None:
                self._choices[question.name] = (self.epoch, names, found)
            return found
        return self._visible_choices(question, context, built_ins)

    def _visible_choices(
        self, question: Question, context: Context | None, built_ins: bool
    ) -> list[sjs.Choice]:
        shown = []
        for item in self.all_choices(question, context):
            item_context = {
                **(context or {}),
                "item": item.value,
                "choice": item.value,
                "$item": item.data,
            }
            # a choice's own visibleIf replaces the question's choicesVisibleIf for it
            # (ItemValue.runConditionsForItems: the item's runner, else the question's)
            if not self.holds(
                own_condition(item.data, "visibleIf", question.json, "choicesVisibleIf"),
                item_context,
            ):
                continue
            shown.append(item)
        if built_ins:
            shown += sjs.built_in_choices(question.json)
            if sjs.has_other(question.json):
                shown.append(
                    sjs.Choice(
                        "other",
                        question.json.get("otherText") or "Other (describe)",
                        {"value": "other"},
                    )
                )
        return shown

    def visible_rows(self, question: Question) -> list[sjs.Choice]:
        rows = []
        for row in sjs.choices(question.json, "rows"):
            context = {"item": row.value, "$item": row.data}
            if self.holds(
                own_condition(row.data, "visibleIf", question.json, "rowsVisibleIf"), context
            ):
                rows.append(row)
        return rows

    def matrix_columns(self, question: Question) -> list[sjs.Choice]:
        """The columns a single-select matrix shows: a column's own visibleIf, else the
        matrix's columnsVisibleIf (`{item}` the column's value), anything equal to true."""
        shown = []
        for column in sjs.choices(question.json, "columns"):
            context = {"item": column.value, "choice": column.value, "$item": column.data}
            if self.holds(
                own_condition(column.data, "visibleIf", question.json, "columnsVisibleIf"), context
            ):
                shown.append(column)
        return shown

    def visible_columns(self, question: Question, context: Context) -> list[dict[str, Any]]:
        """The columns of a matrixdropdown/matrixdynamic shown in a row: the column's
        `visible` and columnsVisibleIf (`column_shown`), and its visibleIf for the row's cell."""
        return [
            c
            for c in columns(question)
            if self.column_shown(question, c) and self.holds(c.get("visibleIf"), context)
        ]

    def column_shown(self, question: Question, column: dict[str, Any]) -> bool:
        """`visible`, and the matrix's columnsVisibleIf (`{item}` is the column's name),
        equal to true: ConditionRunner.runContext answers `== true`, which the matrix's
        `=== true` then compares."""
        if column.get("visible", True) is False:
            return False
        return self.holds(
            question.json.get("columnsVisibleIf"), {"item": column["name"], "name": column["name"]}
        )

    def typed(self, question: Question | None, value: Any) -> Any:
        """An answer as SurveyJS stores it: a choice id given as text becomes the choice's
        value ("1" -> 1 where the choice's value is the number 1)."""
        if question is None:
            return value
        if question.kind in sjs.CHOICE_TYPES or question.kind in ("rating", "matrix"):
            items = self.all_choices(question) + sjs.built_in_choices(question.json)
            lookup = {c.id: c.value for c in items}
            if question.kind == "matrix" and isinstance(value, dict):
                cols = {c.id: c.value for c in sjs.choices(question.json, "columns")}
                return {k: cols.get(v, v) if isinstance(v, str) else v for k, v in value.items()}
            if isinstance(value, list):
                return [lookup.get(v, v) if isinstance(v, str) else v for v in value]
            if isinstance(value, str):
                return lookup.get(value, value)
        return copy.deepcopy(value)


def _int(value: Any) -> int:
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000
        else 0
    )


def _row(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def own_condition(item: dict[str, Any], key: str, owner: dict[str, Any], owner_key: str) -> Any:
    """An item's own condition when it has one, else its owner's."""
    own = item.get(key)
    if isinstance(own, str) and own.strip():
        return own
    return owner.get(owner_key)
