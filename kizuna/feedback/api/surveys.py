"""HTTP handlers of the surveys API: parse, call one service or selector, present."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import ObjectPathId, Page, PageParams, page, with_errors
from kizuna.feedback.schemas import surveys as schemas
from kizuna.feedback.selectors import surveys as selectors
from kizuna.feedback.services import surveys

# Mounted by kizuna.api with server-key auth: /v1/surveys.
surveys_router = Router(tags=["surveys"])


def _body(payload: Any) -> dict[str, Any]:
    return dict(payload.model_dump(exclude_unset=True))


@surveys_router.post("", response=with_errors({201: schemas.SurveyOut}), summary="Create a survey")
def create_survey(request: HttpRequest, payload: schemas.SurveyIn) -> Any:
    return Status(
        201, surveys.create_survey(workspace_of(request), _body(payload), actor_of(request))
    )


@surveys_router.get(
    "", response=with_errors({200: Page[schemas.SurveyOut]}), summary="List surveys, by id"
)
def list_surveys(
    request: HttpRequest, page_params: Query[PageParams], filters: Query[schemas.SurveyListParams]
) -> Any:
    return page(
        *selectors.list_surveys(
            workspace_of(request),
            status=filters.status,
            cursor=page_params.cursor,
            limit=page_params.limit,
        )
    )


@surveys_router.get(
    "/{survey_id}",
    response=with_errors({200: schemas.SurveyOut}),
    summary="Get a survey, with its current definition or that of an earlier version",
)
def get_survey(
    request: HttpRequest, survey_id: ObjectPathId, params: Query[schemas.SurveyParams]
) -> Any:
    return selectors.get_survey(workspace_of(request), survey_id, version=params.version)


@surveys_router.patch(
    "/{survey_id}",
    response=with_errors({200: schemas.SurveyOut}),
    summary="Change a survey; a published survey's changed definition is a new version",
)
def update_survey(
    request: HttpRequest, survey_id: ObjectPathId, payload: schemas.SurveyPatchIn
) -> Any:
    return surveys.update_survey(
        workspace_of(request), survey_id, _body(payload), actor_of(request)
    )


@surveys_router.get(
    "/{survey_id}/versions",
    response=with_errors({200: Page[schemas.SurveyVersionOut]}),
    summary="The versions of a survey's definition, newest first",
)
def list_versions(
    request: HttpRequest, survey_id: ObjectPathId, page_params: Query[PageParams]
) -> Any:
    return page(
        *selectors.list_versions(
            workspace_of(request), survey_id, cursor=page_params.cursor, limit=page_params.limit
        )
    )


@surveys_router.post(
    "/{survey_id}/publish",
    response=with_errors({200: schemas.SurveyOut}),
    summary="Publish a draft or resume a paused survey: active, or scheduled until it starts",
)
def publish_survey(request: HttpRequest, survey_id: ObjectPathId) -> Any:
    return surveys.publish_survey(workspace_of(request), survey_id, actor_of(request))


@surveys_router.post(
    "/{survey_id}/pause",
    response=with_errors({200: schemas.SurveyOut}),
    summary="Pause a scheduled or active survey",
)
def pause_survey(request: HttpRequest, survey_id: ObjectPathId) -> Any:
    return surveys.pause_survey(workspace_of(request), survey_id, actor_of(request))


@surveys_router.post(
    "/{survey_id}/close",
    response=with_errors({200: schemas.SurveyOut}),
    summary="Close a survey for good",
)
def close_survey(request: HttpRequest, survey_id: ObjectPathId) -> Any:
    return surveys.close_survey(workspace_of(request), survey_id, actor_of(request))
