"""HTTP handlers for conditions and segments: parse, call one service, present."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import workspace_of
from kizuna.core.schemas import Page, PageParams, page, with_errors
from kizuna.customers.schemas import CustomerOut
from kizuna.insights import schemas, selectors
from kizuna.insights.services import refresh, segments

# Mounted by kizuna.api with server-key auth.
conditions_router = Router(tags=["conditions"])
segments_router = Router(tags=["segments"])


@conditions_router.get(
    "/fields",
    response=with_errors({200: schemas.ConditionFieldList}),
    summary="The fields a condition may name, with their types and operators",
)
def list_condition_fields(request: HttpRequest) -> Any:
    return {"data": selectors.condition_fields(workspace_of(request))}


# The fixed path /preview is registered before the /{segment_id} routes.


@segments_router.post(
    "/preview",
    response=with_errors({200: schemas.PreviewOut}),
    summary="Count the customers a condition selects, with a sample; nothing is saved",
)
def preview_segment(request: HttpRequest, payload: schemas.PreviewIn) -> Any:
    return selectors.preview(workspace_of(request), payload.condition)


@segments_router.post(
    "", response=with_errors({201: schemas.SegmentOut}), summary="Create a segment"
)
def create_segment(request: HttpRequest, payload: schemas.SegmentIn) -> Any:
    return Status(201, segments.create_segment(workspace_of(request), payload.model_dump()))


@segments_router.get(
    "", response=with_errors({200: Page[schemas.SegmentOut]}), summary="List segments, by id"
)
def list_segments(request: HttpRequest, page_params: Query[PageParams]) -> Any:
    rows, next_cursor = selectors.list_segments(
        workspace_of(request), cursor=page_params.cursor, limit=page_params.limit
    )
    return page(rows, next_cursor)


@segments_router.get(
    "/{segment_id}", response=with_errors({200: schemas.SegmentOut}), summary="Get a segment"
)
def get_segment(request: HttpRequest, segment_id: str) -> Any:
    return selectors.get_segment(workspace_of(request), segment_id)


@segments_router.patch(
    "/{segment_id}", response=with_errors({200: schemas.SegmentOut}), summary="Change a segment"
)
def update_segment(request: HttpRequest, segment_id: str, payload: schemas.SegmentPatchIn) -> Any:
    data = payload.model_dump(exclude_unset=True)
    return segments.update_segment(workspace_of(request), segment_id, data)


@segments_router.delete(
    "/{segment_id}", response=with_errors({204: None}), summary="Delete a segment"
)
def delete_segment(request: HttpRequest, segment_id: str) -> Any:
    segments.delete_segment(workspace_of(request), segment_id)
    return Status(204, None)


@segments_router.get(
    "/{segment_id}/customers",
    response=with_errors({200: Page[CustomerOut]}),
    summary="The segment's customers: a materialized segment's members at its last refresh, "
    "a live segment's evaluated now",
)
def segment_customers(request: HttpRequest, segment_id: str, page_params: Query[PageParams]) -> Any:
    rows, next_cursor = selectors.segment_customers(
        workspace_of(request), segment_id, cursor=page_params.cursor, limit=page_params.limit
    )
    return page(rows, next_cursor)


@segments_router.post(
    "/{segment_id}/refresh",
    response=with_errors({200: schemas.SegmentRefreshOut}),
    summary="Refresh a segment now: who entered, who left, its size",
)
def refresh_segment(request: HttpRequest, segment_id: str) -> Any:
    return refresh.refresh_segment(workspace_of(request), segment_id)
