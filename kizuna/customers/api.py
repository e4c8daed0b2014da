"""HTTP handlers for customers, orders and events: parse, call one service, present."""

from typing import Any, Literal

from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Query, Router, Status

from kizuna.core.errors import MalformedRequest, ValidationFailed
from kizuna.core.http import workspace_of
from kizuna.core.money import format_amount
from kizuna.core.schemas import PageParams, with_errors
from kizuna.customers import schemas, selectors, services, transfer
from kizuna.customers.models import (
    AttributeDefinition,
    Customer,
    CustomerErasure,
    CustomerImport,
    CustomEvent,
    Order,
    Refund,
    TimelineEntry,
)

# Mounted by kizuna.api with server-key auth.
customers_router = Router(tags=["customers"])
orders_router = Router(tags=["orders"])
events_router = Router(tags=["events"])
# GET /customer-attributes: the custom attributes and their types.
attributes_router = Router(tags=["customers"])


# ------------------------------------------------------------------ presenters


def customer_out(customer: Customer) -> dict[str, Any]:
    return {
        "external_id": customer.external_id,
        "email": customer.email or None,
        "phone": customer.phone or None,
        "first_name": customer.first_name or None,
        "last_name": customer.last_name or None,
        "birthdate": customer.birthdate,
        "locale": customer.locale or None,
        "timezone": customer.timezone or None,
        "attributes": customer.attributes,
        "consents": {
            c.channel: {"status": c.status, "updated_at": c.updated_at}
            for c in customer.consents.all()
        },
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "erased_at": customer.erased_at,
    }


def refund_out(refund: Refund, order_external_id: str) -> dict[str, Any]:
    return {
        "external_id": refund.external_id,
        "order_id": order_external_id,
        "amount": format_amount(refund.amount, refund.currency),
        "currency": refund.currency,
        "reason": refund.reason,
        "items": [
            {
                "sku": item.sku,
                "quantity": item.quantity,
                "amount": format_amount(item.amount, refund.currency),
            }
            for item in refund.items.all()
        ],
        "occurred_at": refund.occurred_at,
        "created_at": refund.created_at,
        "loyalty": [],
    }


def order_out(order: Order) -> dict[str, Any]:
    money = lambda value: format_amount(value, order.currency)  # noqa: E731
    return {
        "external_id": order.external_id,
        "customer_id": order.customer.external_id,
        "status": order.status,
        "currency": order.currency,
        "total": money(order.total),
        "subtotal": money(order.subtotal),
        "discount_total": money(order.discount_total),
        "shipping_total": money(order.shipping_total),
        "tax_total": money(order.tax_total),
        "prices_include_tax": order.prices_include_tax,
        "refunded_total": money(order.refunded_total),
        "channel": order.channel,
        "location": order.location,
        "occurred_at": order.occurred_at,
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "category": item.category,
                "quantity": item.quantity,
                "unit_price": money(item.unit_price),
                "refunded_quantity": item.refunded_quantity,
            }
            for item in order.items.all()
        ],
        "refunds": [refund_out(refund, order.external_id) for refund in order.refunds.all()],
        "metadata": order.metadata,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "loyalty": [],
    }


def event_out(event: CustomEvent) -> dict[str, Any]:
    return {
        "id": event.client_id,
        "name": event.name,
        "customer_id": event.customer.external_id,
        "properties": event.properties,
        "occurred_at": event.occurred_at,
        "created_at": event.created_at,
        "loyalty": [],
    }


def attribute_definition_out(definition: AttributeDefinition) -> dict[str, Any]:
    return {"key": definition.key, "type": definition.type, "created_at": definition.created_at}


def customer_import_out(run: CustomerImport) -> dict[str, Any]:
    return {
        "id": str(run.pk),
        "filename": run.filename,
        "format": run.file_format,
        "source": run.source,
        "status": run.status,
        "columns": run.columns,
        "total_rows": run.total_rows,
        "processed_rows": run.processed_rows,
        "percent": run.percent,
        "counts": {
            "created": run.created_count,
            "updated": run.updated_count,
            "unchanged": run.unchanged_count,
            "rejected": run.rejected_count,
        },
        "errors": run.errors,
        "errors_truncated": run.errors_truncated,
        "failure": (
            {"code": run.failure_code, "message": run.failure_message}
            if run.status == CustomerImport.Status.FAILED
            else None
        ),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def timeline_out(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "id": str(entry.pk),
        "kind": entry.kind,
        "object_id": entry.object_id,
        "occurred_at": entry.occurred_at,
        "summary": entry.summary,
    }


def customer_data_out(data: selectors.CustomerData) -> dict[str, Any]:
    customer = data.customer
    profile = customer_out(customer)
    return {
        "exported_at": data.exported_at,
        "profile": {
            **{key: value for key, value in profile.items() if key != "consents"},
            "attributes": [
                {"key": key, "type": data.attribute_types[key], "value": customer.attributes[key]}
                for key in sorted(customer.attributes)
            ],
        },
        "consents": profile["consents"],
        "consent_history": [
            {
                "channel": change.channel,
                "status": change.status,
                "previous_status": change.previous_status or None,
                "source": change.source,
                "occurred_at": change.occurred_at,
                "recorded_at": change.recorded_at,
            }
            for change in data.consent_history
        ],
        "orders": [order_out(order) for order in data.orders],
        "events": [event_out(event) for event in data.events],
        "timeline": [timeline_out(entry) for entry in data.timeline],
    }


def erasure_out(erasure: CustomerErasure) -> dict[str, Any]:
    return {"status": "erased", "erasure_id": str(erasure.pk), "erased_at": erasure.erased_at}


# ------------------------------------------------------------------ customers


@customers_router.post(
    "", response=with_errors({201: schemas.CustomerOut}), summary="Create a customer"
)
def create_customer(request: HttpRequest, payload: schemas.CustomerCreateIn) -> Any:
    workspace = workspace_of(request)
    data = payload.model_dump(exclude_unset=True, exclude={"external_id"})
    customer = services.create_customer(workspace, payload.external_id, data)
    return Status(201, customer_out(selectors.get_customer(workspace, customer.external_id)))


@customers_router.get(
    "", response=with_errors({200: schemas.CustomerPage}), summary="List and search customers"
)
def list_customers(
    request: HttpRequest,
    page: Query[PageParams],
    q: str | None = Query(default=None, max_length=200),
    segment: str | None = Query(default=None, max_length=128),
) -> Any:
    rows, next_cursor = selectors.list_customers(
        workspace_of(request), q=q, segment=segment, cursor=page.cursor, limit=page.limit
    )
    return {"data": [customer_out(c) for c in rows], "next_cursor": next_cursor}


# ------------------------------------------------------------------ import and export
# Registered before the /{customer_id} routes, which would otherwise take these paths.

_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": (
                                "A .csv (UTF-8, comma-separated) or .xlsx file of at most "
                                f"{transfer.MAX_UPLOAD_BYTES // (1024 * 1024)} MB and "
                                f"{transfer.MAX_ROWS:,} rows. Row 1 names the columns: "
                                "external_id (required), email, phone, first_name, last_name, "
                                "birthdate, locale, timezone, attributes.<name>, "
                                "consents.<channel>. An empty cell leaves the field unchanged."
                            ),
                        }
                    },
                    "required": ["file"],
                }
            }
        },
    }
}
_EXPORT_RESPONSES = {
    "responses": {
        200: {
            "description": "The file, with the columns an import takes.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                transfer.CONTENT_TYPES[transfer.FileFormat.XLSX]: {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


def _uploaded_file(request: HttpRequest) -> UploadedFile:
    try:
        upload = request.FILES.get("file")
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise MalformedRequest(
            "The multipart/form-data body could not be read.", code="malformed_multipart"
        ) from exc
    if upload is None or upload.file is None:
        raise ValidationFailed(
            "Send the file as the multipart/form-data field 'file'.", code="required", field="file"
        )
    return upload


@customers_router.get(
    "/export",
    response=with_errors({200: None}),
    summary="Export every customer as CSV or XLSX",
    openapi_extra=_EXPORT_RESPONSES,
)
def export_customers(
    request: HttpRequest,
    file_format: Literal["csv", "xlsx"] = Query(default="csv", alias="format"),
) -> Any:
    export = transfer.export_customers(workspace_of(request), file_format)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@customers_router.post(
    "/import",
    response=with_errors({202: schemas.CustomerImportOut}),
    summary="Import customers from a CSV or XLSX file, in the background (202: the queued "
    "run; follow it at /customers/imports/{id})",
    openapi_extra=_IMPORT_BODY,
)
def import_customers(request: HttpRequest) -> Any:
    workspace = workspace_of(request)
    transfer.check_upload_length(request.META.get("CONTENT_LENGTH"))
    upload = _uploaded_file(request)
    assert upload.file is not None
    run = transfer.submit_import(
        workspace, upload.file, filename=upload.name or "", size=upload.size or 0
    )
    return Status(202, customer_import_out(run))


@customers_router.get(
    "/imports/{import_id}",
    response=with_errors({200: schemas.CustomerImportOut}),
    summary="The progress and report of a customer import",
)
def get_customer_import(request: HttpRequest, import_id: str) -> Any:
    return customer_import_out(transfer.get_import(workspace_of(request), import_id))


@customers_router.put(
    "/{customer_id}",
    response=with_errors({200: schemas.CustomerOut, 201: schemas.CustomerOut}),
    summary="Create or update a customer",
)
def upsert_customer(
    request: HttpRequest, customer_id: str, payload: schemas.CustomerUpsertIn
) -> Any:
    workspace = workspace_of(request)
    customer, created, _ = services.upsert_customer(
        workspace, customer_id, payload.model_dump(exclude_unset=True)
    )
    return Status(
        201 if created else 200,
        customer_out(selectors.get_customer(workspace, customer.external_id)),
    )


@customers_router.get(
    "/{customer_id}", response=with_errors({200: schemas.CustomerOut}), summary="Get a customer"
)
def get_customer(request: HttpRequest, customer_id: str) -> Any:
    return customer_out(selectors.get_customer(workspace_of(request), customer_id))


@customers_router.patch(
    "/{customer_id}", response=with_errors({200: schemas.CustomerOut}), summary="Update a customer"
)
def patch_customer(request: HttpRequest, customer_id: str, payload: schemas.CustomerPatchIn) -> Any:
    workspace = workspace_of(request)
    services.update_customer(workspace, customer_id, payload.model_dump(exclude_unset=True))
    return customer_out(selectors.get_customer(workspace, customer_id))


@customers_router.get(
    "/{customer_id}/timeline",
    response=with_errors({200: schemas.TimelinePage}),
    summary="The customer's timeline, newest first",
)
def customer_timeline(request: HttpRequest, customer_id: str, page: Query[PageParams]) -> Any:
    rows, next_cursor = selectors.list_timeline(
        workspace_of(request), customer_id, cursor=page.cursor, limit=page.limit
    )
    return {"data": [timeline_out(e) for e in rows], "next_cursor": next_cursor}


# ------------------------------------------------------------------ privacy


@customers_router.get(
    "/{customer_id}/data-export",
    response=with_errors({200: schemas.CustomerDataExportOut}),
    summary="Everything held about the customer, as one JSON document",
    description="Complete, however long the history: nothing is paginated or truncated. "
    "Lists are oldest first.",
)
def customer_data_export(request: HttpRequest, customer_id: str) -> Any:
    return customer_data_out(selectors.customer_data(workspace_of(request), customer_id))


@customers_router.post(
    "/{customer_id}/erase",
    response=with_errors({200: schemas.ErasureOut}),
    summary="Erase the customer's personal data",
    description="Clears the profile, attributes, consents, event properties and the free text "
    "of orders and refunds, and replaces the external_id with a generated one; orders and "
    "refunds are kept with their amounts. Idempotent: a repeat for the same id answers the "
    "same erasure and changes nothing. Takes no body.",
)
def erase_customer(request: HttpRequest, customer_id: str) -> Any:
    erasure, _ = services.erase_customer(workspace_of(request), customer_id)
    return erasure_out(erasure)


# ------------------------------------------------------------------ attributes


@attributes_router.get(
    "",
    response=with_errors({200: schemas.AttributeDefinitionPage}),
    summary="List the custom attributes of customers with their types, by key",
)
def list_customer_attributes(request: HttpRequest, page: Query[PageParams]) -> Any:
    rows, next_cursor = selectors.list_attribute_definitions(
        workspace_of(request), cursor=page.cursor, limit=page.limit
    )
    return {"data": [attribute_definition_out(d) for d in rows], "next_cursor": next_cursor}


# ------------------------------------------------------------------ orders


@orders_router.post(
    "",
    response=with_errors({200: schemas.OrderOut, 201: schemas.OrderOut}),
    summary="Record an order (201), or return the stored one for a known external_id (200)",
)
def create_order(request: HttpRequest, payload: schemas.OrderIn) -> Any:
    workspace = workspace_of(request)
    order, created = services.record_order(workspace, payload.model_dump(exclude_unset=True))
    return Status(
        201 if created else 200, order_out(selectors.get_order(workspace, order.external_id))
    )


@orders_router.get(
    "", response=with_errors({200: schemas.OrderPage}), summary="List orders, newest first"
)
def list_orders(
    request: HttpRequest,
    page: Query[PageParams],
    customer_id: str | None = Query(default=None, max_length=128),
) -> Any:
    rows, next_cursor = selectors.list_orders(
        workspace_of(request), customer_id=customer_id, cursor=page.cursor, limit=page.limit
    )
    return {"data": [order_out(o) for o in rows], "next_cursor": next_cursor}


@orders_router.get(
    "/{external_id}", response=with_errors({200: schemas.OrderOut}), summary="Get an order"
)
def get_order(request: HttpRequest, external_id: str) -> Any:
    return order_out(selectors.get_order(workspace_of(request), external_id))


@orders_router.post(
    "/{external_id}/status",
    response=with_errors({200: schemas.OrderOut}),
    summary="Change an order's status (pending -> paid, -> cancelled)",
)
def change_order_status(
    request: HttpRequest, external_id: str, payload: schemas.OrderStatusIn
) -> Any:
    workspace = workspace_of(request)
    services.change_order_status(workspace, external_id, payload.status)
    return order_out(selectors.get_order(workspace, external_id))


@orders_router.post(
    "/{external_id}/refunds",
    response=with_errors({200: schemas.RefundOut, 201: schemas.RefundOut}),
    summary="Refund items or an amount (idempotent on the refund's external_id)",
)
def refund_order(request: HttpRequest, external_id: str, payload: schemas.RefundIn) -> Any:
    workspace = workspace_of(request)
    refund, created = services.refund_order(
        workspace, external_id, payload.model_dump(exclude_unset=True)
    )
    refund = selectors.get_refund(workspace, refund.pk)
    return Status(201 if created else 200, refund_out(refund, refund.order.external_id))


# ------------------------------------------------------------------ custom events


@events_router.post(
    "",
    response=with_errors({200: schemas.EventOut, 201: schemas.EventOut}),
    summary="Record a custom event (idempotent on its id)",
)
def create_event(request: HttpRequest, payload: schemas.EventIn) -> Any:
    workspace = workspace_of(request)
    event, created = services.record_event(workspace, payload.model_dump(exclude_unset=True))
    return Status(201 if created else 200, event_out(selectors.get_event(workspace, event.pk)))
