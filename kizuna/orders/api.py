"""HTTP handlers for orders and refunds: parse, call one service, present."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import submit_upload, workspace_of
from kizuna.core.imports import runs
from kizuna.core.schemas import (
    BulkImportOut,
    ImportId,
    Page,
    PageParams,
    PathId,
    bulk_import_body,
    page,
    with_errors,
)
from kizuna.orders import schemas, selectors
from kizuna.orders.services import orders, refunds

# Mounted by kizuna.api with server-key auth.
orders_router = Router(tags=["orders"])


@orders_router.post(
    "",
    response=with_errors({200: schemas.OrderOut, 201: schemas.OrderOut}),
    summary="Record an order (201), or return the stored one for a known external_id (200)",
)
def create_order(request: HttpRequest, payload: schemas.OrderIn) -> Any:
    workspace = workspace_of(request)
    order, created = orders.record_order(workspace, payload.model_dump(exclude_unset=True))
    if not created:  # the stored order, with everything that happened to it since
        order = selectors.get_order(workspace, order.external_id)
    return Status(201 if created else 200, order)


@orders_router.get(
    "", response=with_errors({200: Page[schemas.OrderOut]}), summary="List orders, newest first"
)
def list_orders(
    request: HttpRequest,
    page_params: Query[PageParams],
    customer_id: Query[PathId | None] = None,
) -> Any:
    rows, next_cursor = selectors.list_orders(
        workspace_of(request),
        customer_id=customer_id,
        cursor=page_params.cursor,
        limit=page_params.limit,
    )
    return page(rows, next_cursor)


@orders_router.post(
    "/import",
    response=with_errors({202: BulkImportOut}),
    summary="Import orders from a CSV, XLSX or JSON lines file, in the background (202: the "
    "queued run; follow it at /orders/imports/{id})",
    openapi_extra=bulk_import_body("orders", "items and metadata"),
)
def import_orders(request: HttpRequest) -> Any:
    return Status(202, submit_upload(request, "orders"))


@orders_router.get(
    "/imports/{import_id}",
    response=with_errors({200: BulkImportOut}),
    summary="The progress and report of an order import",
)
def get_order_import(request: HttpRequest, import_id: ImportId) -> Any:
    return runs.get_run(workspace_of(request), "orders", import_id)


@orders_router.get(
    "/{external_id}", response=with_errors({200: schemas.OrderOut}), summary="Get an order"
)
def get_order(request: HttpRequest, external_id: PathId) -> Any:
    return selectors.get_order(workspace_of(request), external_id)


@orders_router.post(
    "/{external_id}/status",
    response=with_errors({200: schemas.OrderOut}),
    summary="Change an order's status (pending -> paid, -> cancelled)",
)
def change_order_status(
    request: HttpRequest, external_id: PathId, payload: schemas.OrderStatusIn
) -> Any:
    workspace = workspace_of(request)
    orders.change_order_status(workspace, external_id, payload.status)
    return selectors.get_order(workspace, external_id)


@orders_router.post(
    "/{external_id}/refunds",
    response=with_errors({200: schemas.RefundOut, 201: schemas.RefundOut}),
    summary="Refund items or an amount (idempotent on the refund's external_id)",
)
def refund_order(request: HttpRequest, external_id: PathId, payload: schemas.RefundIn) -> Any:
    workspace = workspace_of(request)
    refund, created = refunds.refund_order(
        workspace, external_id, payload.model_dump(exclude_unset=True)
    )
    if not created:
        refund = selectors.get_refund(workspace, refund.pk)
    return Status(201 if created else 200, refund)
