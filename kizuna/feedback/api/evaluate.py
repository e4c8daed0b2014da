"""HTTP handler of `POST /surveys/{survey_id}/evaluate`: pure, callable with a publishable key
(mounted by kizuna.api with `auth=any_key`)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kizuna.core.http import workspace_of
from kizuna.core.schemas import ObjectPathId, with_errors
from kizuna.feedback.schemas import evaluate as schemas
from kizuna.feedback.services import evaluation

evaluate_router = Router(tags=["surveys"])


@evaluate_router.post(
    "/{survey_id}/evaluate",
    response=with_errors({200: schemas.EvaluationOut}),
    summary="What a respondent sees for a set of answers: visible pages, elements and choices, "
    "texts in the served language, errors, the ending. Changes nothing.",
)
def evaluate_survey(
    request: HttpRequest, survey_id: ObjectPathId, payload: schemas.EvaluateIn
) -> Any:
    result = evaluation.evaluate_answers(
        workspace_of(request),
        survey_id,
        answers=payload.answers,
        language=payload.language,
        hidden=payload.hidden,
        customer_id=payload.customer_id,
        now=payload.now,
    )
    return schemas.present(result)
