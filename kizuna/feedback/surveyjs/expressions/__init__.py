"""SurveyJS expressions: parsed (`parser`), run against values (`evaluator`) with SurveyJS's
built-in functions (`functions`) and JavaScript's way with values (`values`).

    scope = Scope({"age": "17", "langs": ["en", "ja"]}, now=moment)
    run_condition("{age} < 18 and {langs} contains 'ja'", scope)  # True
    run("iif({age} >= 18, 'adult', 'minor')", scope)            # "minor"
"""

from functools import lru_cache
from typing import Any

from kizuna.feedback.surveyjs.expressions import values
from kizuna.feedback.surveyjs.expressions.evaluator import Scope, evaluate
from kizuna.feedback.surveyjs.expressions.parser import ExpressionError, Node, parse, variables

__all__ = [
    "ExpressionError",
    "Node",
    "Scope",
    "compiled",
    "run",
    "run_condition",
    "variables",
]


@lru_cache(maxsize=4096)
def compiled(text: str) -> Node:
    """The tree of an expression, parsed once per text."""
    return parse(text)


def run(text: str, scope: Scope) -> Any:
    """The value of an expression (ExpressionRunner): any type."""
    return evaluate(compiled(text), scope)


def run_condition(text: str, scope: Scope) -> bool:
    """A condition (ConditionRunner): true when the value `== true` in JavaScript's sense
    (true, 1, "1"); a text that does not parse is false, as SurveyJS treats it."""
    try:
        result = run(text, scope)
    except ExpressionError:
        return False
    return (
        values.loose_equal(result, True)
        if not isinstance(result, list | dict)
        else (values.loose_equal(values.to_string(result), True))
    )
