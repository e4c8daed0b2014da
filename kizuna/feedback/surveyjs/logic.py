"""What changes the data besides the respondent, in SurveyJS's order: default values,
triggers (run when a value their expression reads changes), calculated values, expression
questions, defaultValueExpression (until the respondent answers), setValueIf/resetValueIf,
and the clearing of answers whose choice has been hidden or disabled
(`kizuna.feedback.surveyjs.clearing`)."""

import copy
import re
from typing import Any

from kizuna.feedback.surveyjs import clearing
from kizuna.feedback.surveyjs.checks import out_of_range
from kizuna.feedback.surveyjs.expressions import ExpressionError, compiled, variables
from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.model import MATRICES, Question, columns, template
from kizuna.feedback.surveyjs.state import Run

MAX_ROUNDS = 20
MAX_CASCADE = 10
_ADDRESS = re.compile(r"^(?P<name>.+?)\[(?P<index>[^\]]+)\]\.(?P<inner>.+)$")
_OLD_OPERATORS = {
    "equal": "=",
    "notequal": "!=",
    "greater": ">",
    "less": "<",
    "greaterorequal": ">=",
    "lessorequal": "<=",
    "contains": "contains",
    "notcontains": "notcontains",
    "anyof": "anyof",
    "allof": "allof",
}


def start(state: Run) -> None:
    """defaultValue of every question, before any answer."""
    for question in state.model.questions:
        default = question.json.get("defaultValue")
        if default is not None and question.has_value:
            state.put(question.key, copy.deepcopy(default))


def answer(state: Run, address: str, value: Any) -> str:
    """Apply one answer; the data key that changed. `q` sets a question, `q#other` the text
    of its other choice (SurveyJS keeps it as `q-Comment`), `panel[i].q` a question of a
    dynamic panel, `matrix[row].column` a matrix cell (`matrix[row]` a row of a matrix)."""
    question = state.model.find(address)
    if (question is not None and question.name == address) or (
        question is not None and "[" not in address
    ):
        typed = state.typed(question, value)
        if out_of_range(state, question.json, typed):
            # canSetValueToSurvey: the question shows it (with its error); the survey's data
            # keeps what it had, and nothing runs
            state.held[question.key] = typed
            return ""
        state.held.pop(question.key, None)
        state.put(question.key, typed)
        state.answered.add(question.key)
        return question.key
    if address.endswith("#other"):
        owner = state.model.find(address[: -len("#other")])
        key = f"{owner.key if owner else address[:-6]}-Comment"
        state.put(key, value)
        return owner.key if owner else key
    match = _ADDRESS.match(address)
    if match:
        owner = state.model.find(match.group("name"))
        if owner is not None:
            _set_inner(state, owner, match.group("index"), match.group("inner"), value)
            state.answered.add(owner.key)
            return owner.key
    row_match = re.match(r"^(?P<name>.+?)\[(?P<row>[^\]]+)\]$", address)
    if row_match and (owner := state.model.find(row_match.group("name"))) is not None:
        current = state.get(owner) if isinstance(state.get(owner), dict) else {}
        state.put(owner.key, {**current, row_match.group("row"): state.typed(None, value)})
        state.answered.add(owner.key)
        return owner.key
    state.put(address, value)  # a value no question holds: SurveyJS keeps it in the data
    state.answered.add(address)
    return address


def _set_inner(state: Run, owner: Question, index: str, inner: str, value: Any) -> None:
    current = state.get(owner)
    if owner.kind in ("paneldynamic", "matrixdynamic"):
        position = int(index) if index.isdigit() else -1
        if not 0 <= position < 1000:
            return
        rows = (
            [dict(r) if isinstance(r, dict) else {} for r in current]
            if isinstance(current, list)
            else []
        )
        rows += [{} for _ in range(position + 1 - len(rows))]
        inner_question = next((q for q in template(owner) if q.name == inner), None)
        rows[position][inner] = state.typed(inner_question, value)
        state.put(owner.key, rows)
    else:
        table = (
            {k: dict(v) for k, v in current.items() if isinstance(v, dict)}
            if isinstance(current, dict)
            else {}
        )
        table.setdefault(index, {})[inner] = value
        state.put(owner.key, table)


# -- triggers -----------------------------------------------------------------------------
def trigger_expression(trigger: dict[str, Any]) -> str | None:
    """A trigger's condition; the old form `{name, operator, value}` as an expression."""
    expression = trigger.get("expression")
    if isinstance(expression, str) and expression.strip():
        return expression
    name, operator = trigger.get("name"), trigger.get("operator", "equal")
    if not isinstance(name, str) or not name:
        return None
    if operator in ("empty", "notempty"):
        return f"{{{name}}} {operator}"
    value = trigger.get("value")
    if js.is_empty(value):
        return None  # SurveyJS builds no expression: the trigger never runs
    if isinstance(value, list):
        literal = "[" + ", ".join(_literal(v) for v in value) + "]"
    else:
        literal = _literal(value)
    return f"{{{name}}} {_OLD_OPERATORS.get(operator, '=')} {literal}"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value if value is not None else "").replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _reads(expression: str, key: str) -> bool:
    try:
        names = variables(compiled(expression))
    except ExpressionError:
        return False
    wanted = key.lower()
    return any(n.lower().split(".")[0].split("[")[0].lstrip("#") == wanted for n in names)


def run_triggers(state: Run, changed: str, depth: int = 0) -> None:
    """Triggers whose expression reads the changed value run now (setvalue, copyvalue,
    runexpression, visible, skip); complete triggers are run when the page is left
    (`finish`)."""
    if depth > MAX_CASCADE:
        return
    for trigger in state.source.get("triggers") or []:
        if not isinstance(trigger, dict) or trigger.get("type") == "complete":
            continue
        expression = trigger_expression(trigger)
        if expression is None or not _reads(expression, changed):
            continue
        holds = state.fires(expression)
        kind = trigger.get("type")
        if kind == "skip":
            if holds:
                _skip(state, trigger)
            continue
        if kind == "visible":
            for name in [*(trigger.get("questions") or []), *(trigger.get("pages") or [])]:
                if isinstance(name, str):
                    state.visible_set[name] = holds
            continue
        if not holds:
            continue
        target = trigger.get("setToName")
        if not isinstance(target, str) or not target:
            continue
        if kind == "setvalue":
            new_value = copy.deepcopy(trigger.get("setValue"))
        elif kind == "copyvalue":
            new_value = copy.deepcopy(state.values().get(str(trigger.get("fromName"))))
        elif kind == "runexpression":
            run_expression = trigger.get("runExpression")
            if not isinstance(run_expression, str):
                continue
            new_value = state.value_of(run_expression)
        else:
            continue
        if trigger.get("isVariable"):
            state.set_variable(target, new_value)
            on_change(state, target, depth + 1)
        elif state.put(_key(state, target), new_value):
            on_change(state, _key(state, target), depth + 1)


def _skip(state: Run, trigger: dict[str, Any]) -> None:
    """A skip trigger moves the respondent to the page of `gotoName` (survey.focusQuestion),
    when that question is visible at that moment."""
    target = trigger.get("gotoName")
    question = state.model.find(target) if isinstance(target, str) and target else None
    if question is not None and state.visible(question):
        state.skip_to = question.name


def _key(state: Run, name: str) -> str:
    question = state.model.find(name)
    return question.key if question else name


def finish(state: Run) -> None:
    """Complete triggers: the survey ends where one holds."""
    for trigger in state.source.get("triggers") or []:
        if isinstance(trigger, dict) and trigger.get("type") == "complete":
            expression = trigger_expression(trigger)
            if expression and state.fires(expression):
                state.completed = True


# -- values computed from others ----------------------------------------------------------
def settle(state: Run) -> None:
    """Compute until nothing changes (at most MAX_ROUNDS rounds)."""
    for _ in range(MAX_ROUNDS):
        before = copy.deepcopy((state.data, state.calculated))
        _calculated(state)
        _questions(state)
        clearing.hidden_choices(state)
        clearing.disabled_choices(state)
        clearing.hidden_columns(state)
        if (state.data, state.calculated) == before:
            return


def _calculated(state: Run) -> None:
    for item in state.source.get("calculatedValues") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        value = state.value_of(str(item.get("expression") or ""))
        value = js.tidy(value) if isinstance(value, float) else value
        state.set_calculated(item["name"], value)
        if item.get("includeIntoResult"):
            state.put(item["name"], value)


def _questions(state: Run) -> None:
    for question in state.model.questions:
        spec = question.json
        key = question.key
        if question.kind == "expression" and isinstance(spec.get("expression"), str):
            state.put(key, _plain(state.value_of(spec["expression"])))
        if key not in state.answered and isinstance(spec.get("defaultValueExpression"), str):
            state.put(key, _plain(state.value_of(spec["defaultValueExpression"])))
        if question.kind in MATRICES:
            _matrix_cells(state, question)


def _matrix_cells(state: Run, question: Question) -> None:
    """Expression cells of each row that has a value, then the totals (`<name>-total`)."""
    computed = [c for c in columns(question) if c.get("cellType") == "expression"]
    value = state.get(question)
    if computed and isinstance(value, list | dict):
        rows = value if isinstance(value, list) else list(value.values())
        names = {c["name"] for c in computed}
        for number, row in enumerate(rows):
            if not isinstance(row, dict) or all(
                k in names or js.is_empty(v) for k, v in row.items()
            ):
                continue
            for column in computed:
                context = {"row": row, "rowIndex": number + 1}
                result = _plain(state.value_of(str(column.get("expression") or ""), context))
                if not js.equals(row.get(column["name"]), result, ignore_order=False):
                    state.touch(question.key)
                if result is None:
                    row.pop(column["name"], None)
                else:
                    row[column["name"]] = result
    totals = {}
    for column in columns(question):
        kind = column.get("totalType")
        if kind in ("sum", "count", "min", "max", "avg"):
            rows = [
                r
                for r in (value if isinstance(value, list) else (value or {}).values())
                if isinstance(r, dict)
            ]
            expression = f"{kind}InArray({{rows}}, '{column['name']}')"
            totals[column["name"]] = state.value_of(expression, {"rows": rows})
    if totals:
        state.put(f"{question.key}-total", totals)


def value_rules(state: Run, changed: str, depth: int = 0) -> None:
    """setValueIf/setValueExpression and resetValueIf run when a value they read changes
    (not continuously: a value the respondent types afterwards stays)."""
    if depth > MAX_CASCADE:
        return
    for question in state.model.questions:
        spec, key = question.json, question.key
        reset_if, set_if, set_to = (
            spec.get("resetValueIf"),
            spec.get("setValueIf"),
            spec.get("setValueExpression"),
        )
        if key == changed:
            continue
        new_value: Any = _UNSET
        if (
            isinstance(reset_if, str)
            and _reads(reset_if, changed)
            and state.get(question) is not None
            and state.value_of(reset_if) is True
        ):
            new_value = copy.deepcopy(spec.get("defaultValue"))  # back to the default, or empty
        elif isinstance(set_if, str) and set_if.strip():
            # setValueIf decides (a truthy value) when what it or the expression reads changes;
            # without setValueExpression it clears the question
            reads = _reads(set_if, changed) or (isinstance(set_to, str) and _reads(set_to, changed))
            if reads and js.truthy(state.value_of(set_if)):
                new_value = _plain(state.value_of(set_to)) if isinstance(set_to, str) else None
        elif isinstance(set_to, str) and _reads(set_to, changed):
            new_value = _plain(state.value_of(set_to))
        if new_value is not _UNSET and state.put(key, new_value):
            on_change(state, key, depth + 1)


_UNSET = object()


def on_change(state: Run, changed: str, depth: int = 0) -> None:
    """What a changed value sets off: triggers, then value rules, each of which may change
    values in turn (at most MAX_CASCADE deep)."""
    run_triggers(state, changed, depth)
    value_rules(state, changed, depth)


def _plain(value: Any) -> Any:
    """A computed value as data holds it: dates as ISO text, NaN as nothing."""
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return js.tidy(value)
