"""The check of a submitted response: what, in its answers, a response may not hold.

    evaluation = evaluate_survey(survey, answers, language=..., hidden=..., customer=...)
    faults = check_submission(survey.definition, evaluation, answers, finished=True)

`check_submission(definition, evaluation, answers, *, finished)` takes the evaluation of
these same answers and returns a list of `Fault(element_id, code, message)` (message in
English), in the order of the answers, then of the elements:

- `unknown_element`: an answer to an id the survey does not have (also `<id>#other` for an
  element without an `other` answer);
- `not_visible`: an answer to an element not shown for the answers (hidden by its
  `visible_if` or its page's, or on a page off the path);
- `disabled`: an answer to an element whose `enable_if` does not hold;
- `invalid_type`, `invalid_choice`, `out_of_range`, `too_short`, `too_long`,
  `invalid_format`, `other_text_required`: as in the evaluation's `errors`;
- `required`, only when `finished`: a shown, enabled, required element without its answer.

A null or blank answer is no answer (never a fault but `required`). The evaluation's `data`
holds the answers that count (shown, enabled, valid); a caller that accepts answers with
`not_visible` faults (a client that kept an answer the respondent hid by changing an earlier
one) should store `data`."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kizuna.feedback.definitions import element_types
from kizuna.feedback.logic import builtin_texts
from kizuna.feedback.logic.answers import OTHER_SUFFIX, answered
from kizuna.feedback.logic.evaluation import Evaluation


@dataclass(frozen=True)
class Fault:
    element_id: str
    code: str
    message: str


def check_submission(
    definition: Mapping[str, Any],
    evaluation: Evaluation,
    answers: Mapping[str, Any],
    *,
    finished: bool,
) -> list[Fault]:
    types = element_types(dict(definition))
    visible = set(evaluation.visible_elements)
    disabled = set(evaluation.disabled_elements)
    faults: list[Fault] = []
    placed: set[str] = set()
    for key, value in answers.items():
        element_id = key
        if key not in types and key.endswith(OTHER_SUFFIX):
            element_id = key[: -len(OTHER_SUFFIX)]
        if key not in types and evaluation.errors.get(key) == ["unknown_element"]:
            faults.append(_fault(key, "unknown_element"))
            placed.add(key)
            continue
        if element_id not in types or not answered(value):
            continue
        if element_id not in visible:
            code = "not_visible"
        elif element_id in disabled:
            code = "disabled"
        else:
            continue
        if element_id not in placed:
            faults.append(_fault(element_id, code))
            placed.add(element_id)
    for element_id, codes in evaluation.errors.items():
        if element_id in placed:
            continue
        details = evaluation.error_details.get(element_id, [])
        for index, code in enumerate(codes):
            if code == "required" and not finished:
                continue
            detail = details[index] if index < len(details) else {}
            message = builtin_texts.message(
                detail.get("message_key", code), "en", **detail.get("params", {})
            )
            faults.append(Fault(element_id, code, message))
    return faults


def _fault(element_id: str, code: str) -> Fault:
    return Fault(element_id, code, builtin_texts.message(code, "en"))
