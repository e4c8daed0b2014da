"""Survey logic in one place: what a respondent sees, must answer and may answer, given the
answers so far (`POST /surveys/{survey_id}/evaluate`, the hosted page, the widget, and the
checks of a submitted response all ask it).

    evaluation = evaluate_survey(survey, answers, language="ja", hidden={...}, customer=c)
    faults = check_submission(survey.definition, evaluation, answers, finished=True)

docs/survey-logic.md is the reference; ADR 0025 records the decisions."""

from kizuna.feedback.logic.evaluation import ElementTexts, Evaluation
from kizuna.feedback.logic.evaluator import evaluate, evaluate_survey
from kizuna.feedback.logic.submission import Fault, check_submission

__all__ = [
    "ElementTexts",
    "Evaluation",
    "Fault",
    "check_submission",
    "evaluate",
    "evaluate_survey",
]
