"""Evaluating an imported survey with SurveyJS's semantics: the one entry point is
`evaluate(source, answers=..., language=..., hidden=..., now=...) -> Evaluation`.

    evaluation = evaluate(survey.source, answers={"nps_score": 9}, language="en",
                          hidden=None, now=clock.now())
    evaluation.visible_elements   # ["nps_score", "promoter_features"]

1. Each question's `defaultValue` is set; then the answers are applied in the order given.
   After each answer the triggers that read it run (setvalue, copyvalue, runexpression,
   visible, skip), then calculated values, expression questions, defaultValueExpression (until
   answered), setValueIf/resetValueIf are computed, and answers of choices that are now
   hidden (or, with clearDisabledChoices, disabled) are cleared, until nothing changes. An
   out-of-range value of a number or date input stays out of the data (SurveyJS's
   canSetValueToSurvey); the question keeps it for its error.
2. What the data then makes visible, required, disabled and offered is read, as SurveyJS
   decides it: a page with no visible question is hidden; a question on a hidden page or in
   a hidden panel is hidden; `disabled_choices`, `visible_columns`; `skip_to` the question
   the last skip trigger went to, `current_page` its page.
3. `errors` names the visible, enabled questions whose answers SurveyJS would refuse
   (`kizuna.feedback.surveyjs.checks`).
4. `ending` is the first `completedHtmlOnCondition` that holds (`completed-<n>`), else
   `completed` when a complete trigger holds; None otherwise.
5. `data` is SurveyJS's `survey.data` at that moment: answers of hidden questions stay until
   completion (clearInvisibleValues "onComplete", the default), unless the survey says
   "onHidden"; `completing=True` gives the data as SurveyJS stores it on completion
   (answers of hidden questions removed unless clearInvisibleValues is "none").

`hidden` are the survey's variables (SurveyJS `setVariable`), read as `{name}`. Dates are
as of `now`, in its own wall-clock time."""

from datetime import datetime
from typing import Any

from kizuna.feedback.logic.evaluation import Evaluation
from kizuna.feedback.surveyjs import clearing, logic
from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.checks import errors_of
from kizuna.feedback.surveyjs.enabled import disabled_choices
from kizuna.feedback.surveyjs.importer import ending_id
from kizuna.feedback.surveyjs.model import MATRICES, Question, columns, template
from kizuna.feedback.surveyjs.state import Context, Run
from kizuna.feedback.surveyjs.texts import element_texts


def evaluate(
    source: dict[str, Any],
    *,
    answers: dict[str, Any] | list[tuple[str, Any]],
    language: str,
    hidden: dict[str, Any] | None,
    now: datetime,
    completing: bool = False,
) -> Evaluation:
    state = Run(source, language=language, hidden=hidden, now=now)
    logic.start(state)
    logic.settle(state)
    # a list of (address, value) gives the same address again, as a respondent changes an
    # answer (the order in which SurveyJS receives them)
    for address, value in answers.items() if isinstance(answers, dict) else answers:
        changed = logic.answer(state, address, value)
        logic.on_change(state, changed)
        logic.settle(state)
    logic.finish(state)
    result = Evaluation(language=language)
    _read(state, result)
    result.ending = _ending(state)
    result.variables = {**state.variables, **state.calculated}
    when = source.get("clearInvisibleValues", "onComplete")
    if when in ("onHidden", "onHiddenContainer") or (completing and when != "none"):
        for question in state.model.questions:
            if not state.visible(question):
                state.data.pop(question.key, None)
            elif completing and question.kind in ("matrix", "matrixdropdown"):
                clearing.matrix(state, question)
    result.data = state.data
    target = state.model.find(state.skip_to) if state.skip_to is not None else None
    if target is not None:
        result.skip_to = target.name
        result.current_page = state.model.page_names[target.page]
    return result


def _read(state: Run, result: Evaluation) -> None:
    shown_pages = [i for i in range(len(state.model.pages)) if state.page_shown(i)]
    # the start page (firstPageIsStartPage, formerly firstPageIsStarted) shows first,
    # outside the survey's pages (visiblePages)
    start_page = len(state.model.pages) > 1 and (
        state.source.get("firstPageIsStartPage", state.source.get("firstPageIsStarted")) is True
    )
    result.visible_pages = [
        state.model.page_names[i] for i in shown_pages if not (start_page and i == 0)
    ]
    for question in state.model.questions:
        if question.page not in shown_pages or not state.question_shown(question):
            continue
        _one(
            state,
            result,
            question,
            question.name,
            None,
            state.held.get(question.key, state.get(question)),
            state.data.get(f"{question.key}-Comment"),
        )
        if question.kind == "paneldynamic":
            _panels(state, result, question)
        elif question.kind in MATRICES:
            _cells(state, result, question)


def _one(
    state: Run,
    result: Evaluation,
    question: Question,
    address: str,
    context: Context | None,
    value: Any,
    comment: Any = None,
) -> None:
    result.visible_elements.append(address)
    enabled = state.enabled(question, context)
    if not enabled:
        result.disabled_elements.append(address)
    required = question.has_value and state.required(question, context)
    if required:
        result.required_elements.append(address)
    if question.kind in sjs.CHOICE_TYPES:
        result.visible_choices[address] = [c.id for c in state.visible_choices(question, context)]
        disabled = [c.id for c in disabled_choices(state, question, context)]
        if disabled:
            result.disabled_choices[address] = disabled
    elif question.kind == "matrix":
        result.visible_choices[address] = [r.id for r in state.visible_rows(question)]
        result.visible_columns[address] = [c.id for c in state.matrix_columns(question)]
    result.texts[address] = element_texts(state, question, context)
    if enabled and question.has_value:
        codes = errors_of(state, question.json, value, required, context, comment)
        if codes:
            result.errors[address] = codes


def _panels(state: Run, result: Evaluation, owner: Question) -> None:
    panels = state.panel_values(owner)
    for index, values in enumerate(panels):
        context = {
            "panel": values,
            "panelIndex": index,
            "prevPanel": panels[index - 1] if index > 0 else None,
            "nextPanel": panels[index + 1] if index + 1 < len(panels) else None,
        }
        if not state.container_shown({"visibleIf": owner.json.get("templateVisibleIf")}, context):
            continue
        for inner in template(owner):
            if state.question_shown(inner, context):
                _one(
                    state,
                    result,
                    inner,
                    f"{owner.name}[{index}].{inner.name}",
                    context,
                    values.get(inner.key),
                )


def _cells(state: Run, result: Evaluation, owner: Question) -> None:
    shown_rows = (
        {r.id for r in state.visible_rows(owner)} if owner.kind == "matrixdropdown" else None
    )
    shown_columns: set[str] = set()
    for number, (address, row_value, values) in enumerate(state.matrix_rows(owner)):
        if shown_rows is not None and address not in shown_rows:
            continue
        context = {
            "row": values,
            "rowIndex": number + 1,
            "rowName": row_value,
            "rowValue": row_value,
        }
        for column in state.visible_columns(owner, context):
            shown_columns.add(column["name"])
            cell = Question(
                {
                    **column,
                    "type": column.get("cellType") or owner.json.get("cellType") or "dropdown",
                },
                column["name"],
                owner.page,
                owner.panels,
            )
            if cell.kind in sjs.CHOICE_TYPES and not column.get("choices"):
                cell = Question(
                    {**cell.json, "choices": owner.json.get("choices") or [1, 2, 3, 4, 5]},
                    cell.name,
                    owner.page,
                    owner.panels,
                )
            _one(
                state,
                result,
                cell,
                f"{owner.name}[{address}].{column['name']}",
                context,
                values.get(column["name"]),
            )

    # A column shows (isColumnVisible) when some shown row shows its cell; one without a
    # visibleIf of its cells shows even without rows.
    result.visible_columns[owner.name] = [
        c["name"]
        for c in columns(owner)
        if c["name"] in shown_columns or (not c.get("visibleIf") and state.column_shown(owner, c))
    ]


def _ending(state: Run) -> str | None:
    for i, item in enumerate(state.source.get("completedHtmlOnCondition") or []):
        if (
            isinstance(item, dict)
            and item.get("html")
            and isinstance(item.get("expression"), str)
            and state.value_of(item["expression"]) is True
        ):
            return ending_id(i)
    if state.completed:
        return ending_id(None) if state.source.get("completedHtml") else None
    return None
