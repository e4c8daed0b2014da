"""HTTP handler of survey results: parse, call the selector, present."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from kizuna.core.http import workspace_of
from kizuna.core.schemas import ObjectPathId, with_errors
from kizuna.feedback.schemas import results as schemas
from kizuna.feedback.selectors.results import survey_results

# Mounted by kizuna.api with server-key auth: /v1/surveys/{survey_id}/results.
results_router = Router(tags=["surveys"])


@results_router.get(
    "/{survey_id}/results",
    response=with_errors({200: schemas.ResultsOut}),
    by_alias=True,
    summary="A survey's results: scores with 95% intervals, by period, against the range before",
)
def get_results(
    request: HttpRequest, survey_id: ObjectPathId, params: Query[schemas.ResultsParams]
) -> Any:
    return survey_results(
        workspace_of(request),
        survey_id,
        start=params.from_,
        end=params.to,
        interval=params.interval,
        segment=params.segment,
        condition=params.condition,
        sentiment=params.sentiment,
    )
