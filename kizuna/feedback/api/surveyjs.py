"""HTTP handler of importing a survey from another tool's JSON: parse, call the service,
present the survey with its import report."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import with_errors
from kizuna.feedback.schemas import surveyjs as schemas
from kizuna.feedback.services import imports

# Mounted by kizuna.api with server-key auth at /v1/surveys, before the surveys router (its
# /{survey_id} would otherwise take /import).
imports_router = Router(tags=["surveys"])


@imports_router.post(
    "/import",
    response=with_errors({201: schemas.SurveyImportOut}),
    summary="Import a survey from SurveyJS JSON, as a draft, with a report of what has no "
    "native place",
)
def import_survey(request: HttpRequest, payload: schemas.SurveyImportIn) -> Any:
    body = payload.model_dump(exclude_unset=True)
    return Status(201, imports.import_survey(workspace_of(request), body, actor_of(request)))
