"""Answers SurveyJS clears as the survey changes around them, whatever
`clearInvisibleValues` says unless noted:

- answers of choices that stop being shown, when the choices shown change
  (clearIncorrectValues);
- answers of choices that become disabled, with the survey's `clearDisabledChoices`
  (clearDisabledValues);
- cells of a single-select matrix's hidden columns: at once with "onHidden", and with the
  hidden rows on completion (`matrix`, question_matrix.ts clearInvisibleValuesInRowsAndColumns).
"""

from typing import Any

from kizuna.feedback.surveyjs import enabled
from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.model import Question
from kizuna.feedback.surveyjs.state import Run


def hidden_choices(state: Run) -> None:
    """clearIncorrectValues: when the choices a question shows change, its answer keeps only
    what is shown now (an answer given while the choices stay as they are is left alone)."""
    for question in state.model.questions:
        if question.kind not in CHOICE_KINDS:
            continue
        offered = state.visible_choices(question)
        before = state.shown_choices.get(question.name)
        state.shown_choices[question.name] = offered
        value = state.get(question)
        if before is None or before is offered or value is None:
            continue
        shown = [c.value for c in offered]
        if _same([c.value for c in before], shown):
            continue
        if isinstance(value, list):
            kept = [v for v in value if _offered(v, shown)]
            if len(kept) != len(value):
                state.put(question.key, kept)
        elif not _offered(value, shown):
            state.put(question.key, None)


CHOICE_KINDS = ("radiogroup", "checkbox", "dropdown", "tagbox", "imagepicker", "ranking")


def _same(before: list[Any], now: list[Any]) -> bool:
    return len(before) == len(now) and all(
        js.equals(a, b, ignore_order=False) for a, b in zip(before, now, strict=True)
    )


def _offered(value: Any, shown: list[Any]) -> bool:
    return any(js.equals(value, s, ignore_order=False) for s in shown)


def disabled_choices(state: Run) -> None:
    """With the survey's clearDisabledChoices (formerly clearValueOnDisableItems), when the
    choices a question disables change, the disabled ones leave its answer."""
    clearing = state.source.get(
        "clearDisabledChoices", state.source.get("clearValueOnDisableItems")
    )
    if clearing is not True:
        return
    for question in state.model.questions:
        if question.kind not in CHOICE_KINDS:
            continue
        disabled = [c.value for c in enabled.disabled_choices(state, question)]
        before = state.disabled_shown.get(question.name)
        state.disabled_shown[question.name] = disabled
        value = state.get(question)
        if before is None or value is None or _same(before, disabled):
            continue
        if isinstance(value, list):
            kept = [v for v in value if not _offered(v, disabled)]
            if len(kept) != len(value):
                state.put(question.key, kept)
        elif _offered(value, disabled):
            state.put(question.key, None)


def hidden_columns(state: Run) -> None:
    """A single-select matrix whose shown columns change drops the cells of hidden columns at
    once when clearInvisibleValues is "onHidden" (or "onHiddenContainer")."""
    if state.source.get("clearInvisibleValues") not in ("onHidden", "onHiddenContainer"):
        return
    for question in state.model.questions:
        if question.kind != "matrix":
            continue
        shown = [c.value for c in state.matrix_columns(question)]
        before = state.columns_shown.get(question.name)
        state.columns_shown[question.name] = shown
        if before is not None and not _same(before, shown):
            matrix(state, question, rows=False)


def matrix(state: Run, question: Question, rows: bool = True) -> None:
    """A matrix's answer without the rows hidden (`rows`) and, for a single-select matrix,
    the cells of hidden columns, as SurveyJS clears them."""
    value = state.get(question)
    if not isinstance(value, dict):
        return
    kept = dict(value)
    if rows and (
        question.kind == "matrix"
        or question.json.get("rowsVisibleIf")
        or any(r.data.get("visibleIf") for r in sjs.choices(question.json, "rows"))
    ):
        shown_rows = {r.id for r in state.visible_rows(question)}
        kept = {k: v for k, v in kept.items() if sjs.choice_id(k) in shown_rows}
    if question.kind == "matrix":
        shown = [c.value for c in state.matrix_columns(question)]
        for key, cell in list(kept.items()):
            if isinstance(cell, list):
                cells = [v for v in cell if _offered(v, shown)]
                if cells:
                    kept[key] = cells
                else:
                    del kept[key]
            elif not _offered(cell, shown):
                del kept[key]
    if kept != value:
        state.put(question.key, kept)
