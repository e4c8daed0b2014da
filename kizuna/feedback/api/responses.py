"""HTTP handlers of displays, responses and their export: parse, call one service or
selector, present.

Mounted by kizuna.api at /v1/surveys with server-key auth. Recording a display and saving a
response are what a browser does (the hosted page, the widget), so those two operations
(`BROWSER_OPERATIONS`) take any key, publishable keys included: kizuna.api sets their auth
before mounting. They share a path with a server-key operation (`GET .../responses`), and
one path is served by one router, so they cannot go on a router of their own."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router, Status

from kizuna.core.api import SINCE, UNTIL
from kizuna.core.errors import ValidationFailed
from kizuna.core.http import workspace_of
from kizuna.core.imports.readers import CONTENT_TYPES, FileFormat
from kizuna.core.schemas import (
    ErrorOut,
    IsoDateTime,
    ObjectPathId,
    Page,
    PageParams,
    page,
    with_errors,
)
from kizuna.feedback.schemas import responses as schemas
from kizuna.feedback.selectors import response_export
from kizuna.feedback.selectors import responses as selectors
from kizuna.feedback.services import displays, responses
from kizuna.feedback.services.fatigue import ContactThrottled

responses_router = Router(tags=["responses"])

_EXPORT_RESPONSES = {
    "responses": {
        200: {
            "description": "csv, xlsx: the file, one row per response. kizuna, surveyjs: the "
            "survey's definition, as an application/json attachment.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                CONTENT_TYPES[FileFormat.XLSX]: {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    }
}


@responses_router.post(
    "/{survey_id}/displays",
    response=with_errors({201: schemas.DisplayOut, 200: schemas.DisplayThrottledOut}),
    summary="Record that a survey was shown (any key); 200 {id: null, throttled: true} when "
    "the fatigue rules drop it",
)
def record_display(
    request: HttpRequest, survey_id: ObjectPathId, payload: schemas.DisplayIn
) -> Any:
    data = payload.model_dump(exclude_unset=True)
    try:
        return Status(201, displays.record_display(workspace_of(request), survey_id, data))
    except ContactThrottled as dropped:
        return Status(200, {"id": None, "throttled": True, "reason": dropped.reason})


@responses_router.post(
    "/{survey_id}/responses",
    # 410: the link answered through (`link_token`) has expired.
    response=with_errors({200: schemas.ResponseOut, 201: schemas.ResponseOut}) | {410: ErrorOut},
    summary="Save a response: 201 for a submission's first save, 200 for a later one (any key)",
)
def save_response(
    request: HttpRequest, survey_id: ObjectPathId, payload: schemas.ResponseIn
) -> Any:
    saved = responses.save_response(
        workspace_of(request),
        survey_id,
        payload.model_dump(exclude_unset=True),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201 if saved.created else 200, saved.response)


@responses_router.get(
    "/{survey_id}/responses",
    response=with_errors({200: Page[schemas.ResponseOut]}),
    summary="List a survey's responses, newest first",
)
def list_responses(
    request: HttpRequest,
    survey_id: ObjectPathId,
    page_params: Query[PageParams],
    filters: Query[schemas.ResponseListParams],
    since: IsoDateTime | None = SINCE,
    until: IsoDateTime | None = UNTIL,
) -> Any:
    return page(
        *selectors.list_responses(
            workspace_of(request),
            survey_id,
            status=filters.status,
            since=since,
            until=until,
            customer_id=filters.customer_id,
            cursor=page_params.cursor,
            limit=page_params.limit,
        )
    )


@responses_router.get(
    "/{survey_id}/export",
    response=with_errors({200: None}),
    summary="Export the responses (csv, xlsx) or the definition (kizuna, surveyjs)",
    openapi_extra=_EXPORT_RESPONSES,
)
def export(
    request: HttpRequest, survey_id: ObjectPathId, params: Query[schemas.ExportParams]
) -> Any:
    workspace = workspace_of(request)
    if params.format in ("kizuna", "surveyjs"):
        survey, definition = response_export.exported_definition(
            workspace, survey_id, params.format
        )
        body = json.dumps(definition, ensure_ascii=False).encode()
        response: HttpResponse = HttpResponse(body, content_type="application/json")
        suffix = "-surveyjs" if params.format == "surveyjs" else ""
        response["Content-Disposition"] = (
            f'attachment; filename="{survey.key}-v{survey.version}{suffix}.json"'
        )
        return response
    if params.format not in ("csv", "xlsx"):
        raise ValidationFailed(
            f"format is one of {', '.join(schemas.EXPORT_FORMATS)}.",
            code="invalid_choice",
            field="format",
        )
    export = response_export.export_responses(workspace, survey_id, params.format, params.language)
    streamed = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    streamed["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return streamed


# The operations a publishable key may call (kizuna.api gives them `any_key`).
BROWSER_OPERATIONS = (record_display, save_response)
