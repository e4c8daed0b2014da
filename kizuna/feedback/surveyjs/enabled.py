"""Which shown choices SurveyJS disables (ItemValue.isEnabled): a choice's own enableIf,
else the question's choicesEnableIf, and a checkbox's maxSelectedChoices once reached."""

from typing import Any

from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.model import Question
from kizuna.feedback.surveyjs.state import Context, Run, own_condition


def disabled_choices(
    state: Run, question: Question, context: Context | None = None
) -> list[sjs.Choice]:
    """The shown choices SurveyJS disables: a choice's own enableIf, else the question's
    choicesEnableIf (anything equal to true enables); a checkbox at maxSelectedChoices
    disables what is not selected (its other choice too, unless selected)."""
    spec = question.json
    if not (
        spec.get("choicesEnableIf")
        or spec.get("maxSelectedChoices")
        or any(isinstance(c, dict) and c.get("enableIf") for c in spec.get("choices") or [])
    ):
        return []
    value = state.get(question) if context is None else None
    selected = value if isinstance(value, list) else []
    limit = question.json.get("maxSelectedChoices")
    at_limit = (
        question.kind in ("checkbox", "tagbox", "ranking")  # QuestionCheckboxModel and kin
        and isinstance(limit, int)
        and not isinstance(limit, bool)
        and limit >= 1
        and len(selected) >= limit
    )
    disabled = []
    for item in state.visible_choices(question, context, built_ins=False):
        item_context = {
            **(context or {}),
            "item": item.value,
            "choice": item.value,
            "$item": item.data,
        }
        condition = own_condition(item.data, "enableIf", question.json, "choicesEnableIf")
        enabled = state.holds(condition, item_context)
        if not enabled or (at_limit and not _has(selected, item.value)):
            disabled.append(item)
    if at_limit and sjs.has_other(question.json) and not _has(selected, "other"):
        disabled.append(sjs.Choice("other", None, {"value": "other"}))
    return disabled


def _has(values: list[Any], value: Any) -> bool:
    return any(js.equals(v, value, ignore_order=False) for v in values)
