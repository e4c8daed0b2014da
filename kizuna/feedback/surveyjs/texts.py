"""Texts in the respondent's language, as SurveyJS shows them: a localizable string's text in
the language, else its default; a question without a title shows its name; `{name}` in a
text shows that value (a choice's text for a choice question), and nothing when there is
none."""

import re
from typing import Any

from kizuna.feedback.logic.evaluation import ElementTexts
from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.model import Question
from kizuna.feedback.surveyjs.state import Context, Run

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
BUILT_IN_TEXTS = {
    "other": "Other (describe)",
    "none": "None",
    "refused": "Refuse to answer",
    "dontknow": "Don't know",
}


def text(state: Run, value: Any, context: Context | None = None) -> str | None:
    raw = sjs.localized(value, state.language, state.default_language)
    if raw is None:
        return None
    return _PLACEHOLDER.sub(lambda m: _shown(state, m.group(1), context), raw)


def _shown(state: Run, name: str, context: Context | None) -> str:
    found, value = state.scope(context).lookup(name.strip())
    if not found:
        return ""
    question = state.model.find(name.strip())
    if question is not None and question.kind in sjs.CHOICE_TYPES:
        labels = {c.id: text(state, c.text) or c.id for c in state.all_choices(question)}
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(sjs.choice_id(v), js.to_string(v)) for v in items)
    if isinstance(value, list):
        return ", ".join(js.to_string(v) for v in value)
    return js.to_string(value)


def element_texts(state: Run, question: Question, context: Context | None = None) -> ElementTexts:
    spec = question.json
    if spec.get("type") == "html":
        title = text(state, spec.get("html"), context) or ""
    else:
        title = text(state, spec.get("title"), context) or question.name
    result = ElementTexts(title=title, description=text(state, spec.get("description"), context))
    if question.kind in sjs.CHOICE_TYPES or question.kind == "rating":
        choices = (
            state.visible_choices(question, context)
            if question.kind != "rating"
            else sjs.rating_values(spec)
        )
        result.choices = {
            c.id: text(state, c.text, context) or BUILT_IN_TEXTS.get(c.id) or c.id for c in choices
        }
    elif question.kind == "matrix":
        result.choices = {c.id: text(state, c.text) or c.id for c in state.matrix_columns(question)}
        result.extra = {
            f"rows.{r.id}": text(state, r.text) or r.id for r in sjs.choices(spec, "rows")
        }
    for key, name in (
        ("placeholder", "placeholder"),
        ("placeHolder", "placeholder"),
        ("minRateDescription", "min_label"),
        ("maxRateDescription", "max_label"),
        ("labelTrue", "true_text"),
        ("labelFalse", "false_text"),
    ):
        shown = text(state, spec.get(key), context)
        if shown:
            result.extra[name] = shown
    return result
