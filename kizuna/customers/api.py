"""HTTP handlers for customers and custom events: parse, call one service, present."""

from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Status

from kizuna.core.http import submit_upload, uploaded_file, workspace_of
from kizuna.core.imports import readers, runs
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
from kizuna.customers import exports, schemas, selectors
from kizuna.customers.imports import jobs
from kizuna.customers.services import custom_events, erasure, profiles

# Mounted by kizuna.api with server-key auth.
customers_router = Router(tags=["customers"])
events_router = Router(tags=["events"])
# GET /customer-attributes: the custom attributes and their types.
attributes_router = Router(tags=["customers"])

CustomerDataExportOut = schemas.customer_data_export_schema()


# ------------------------------------------------------------------ customers


@customers_router.post(
    "", response=with_errors({201: schemas.CustomerOut}), summary="Create a customer"
)
def create_customer(request: HttpRequest, payload: schemas.CustomerCreateIn) -> Any:
    workspace = workspace_of(request)
    data = payload.model_dump(exclude_unset=True, exclude={"external_id"})
    customer = profiles.create_customer(workspace, payload.external_id, data)
    return Status(201, selectors.get_customer(workspace, customer.external_id))


@customers_router.get(
    "",
    response=with_errors({200: Page[schemas.CustomerOut]}),
    summary="List and search customers",
)
def list_customers(
    request: HttpRequest,
    page_params: Query[PageParams],
    q: str | None = Query(default=None, max_length=200),
    segment: str | None = Query(default=None, max_length=128),
) -> Any:
    rows, next_cursor = selectors.list_customers(
        workspace_of(request),
        q=q,
        segment=segment,
        cursor=page_params.cursor,
        limit=page_params.limit,
    )
    return page(rows, next_cursor)


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
                                f"{readers.MAX_UPLOAD_BYTES // (1024 * 1024)} MB and "
                                f"{readers.MAX_ROWS:,} rows. Row 1 names the columns: "
                                "external_id (required), email, phone, first_name, last_name, "
                                "birthdate, locale, timezone, attributes.<name>, "
                                "consents.<channel>. An empty cell leaves the field unchanged."
                            ),
                        }
                    },
                    "required": ["file"],
                },
                "encoding": {
                    "file": {
                        "contentType": ", ".join(
                            [
                                "text/csv",
                                readers.CONTENT_TYPES[readers.FileFormat.XLSX],
                                "application/octet-stream",
                            ]
                        )
                    }
                },
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
                readers.CONTENT_TYPES[readers.FileFormat.XLSX]: {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


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
    export = exports.export_customers(workspace_of(request), file_format)
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
    readers.check_upload_length(request.META.get("CONTENT_LENGTH"))
    upload = uploaded_file(request)
    assert upload.file is not None
    run = jobs.submit_import(
        workspace, upload.file, filename=upload.name or "", size=upload.size or 0
    )
    return Status(202, run)


@customers_router.get(
    "/imports/{import_id}",
    response=with_errors({200: schemas.CustomerImportOut}),
    summary="The progress and report of a customer import",
)
def get_customer_import(request: HttpRequest, import_id: ImportId) -> Any:
    return jobs.get_import(workspace_of(request), import_id)


@customers_router.put(
    "/{customer_id}",
    response=with_errors({200: schemas.CustomerOut, 201: schemas.CustomerOut}),
    summary="Create or update a customer",
)
def upsert_customer(
    request: HttpRequest, customer_id: PathId, payload: schemas.CustomerUpsertIn
) -> Any:
    workspace = workspace_of(request)
    customer, created, _ = profiles.upsert_customer(
        workspace, customer_id, payload.model_dump(exclude_unset=True)
    )
    return Status(201 if created else 200, selectors.get_customer(workspace, customer.external_id))


@customers_router.get(
    "/{customer_id}", response=with_errors({200: schemas.CustomerOut}), summary="Get a customer"
)
def get_customer(request: HttpRequest, customer_id: PathId) -> Any:
    return selectors.get_customer(workspace_of(request), customer_id)


@customers_router.patch(
    "/{customer_id}", response=with_errors({200: schemas.CustomerOut}), summary="Update a customer"
)
def patch_customer(
    request: HttpRequest, customer_id: PathId, payload: schemas.CustomerPatchIn
) -> Any:
    workspace = workspace_of(request)
    profiles.update_customer(workspace, customer_id, payload.model_dump(exclude_unset=True))
    return selectors.get_customer(workspace, customer_id)


@customers_router.get(
    "/{customer_id}/timeline",
    response=with_errors({200: Page[schemas.TimelineEntryOut]}),
    summary="The customer's timeline, newest first",
)
def customer_timeline(
    request: HttpRequest, customer_id: PathId, page_params: Query[PageParams]
) -> Any:
    rows, next_cursor = selectors.list_timeline(
        workspace_of(request), customer_id, cursor=page_params.cursor, limit=page_params.limit
    )
    return page(rows, next_cursor)


# ------------------------------------------------------------------ privacy


@customers_router.get(
    "/{customer_id}/data-export",
    response=with_errors({200: CustomerDataExportOut}),
    summary="Everything held about the customer, as one JSON document",
    description="Complete, however long the history: nothing is paginated or truncated. "
    "Lists are oldest first.",
)
def customer_data_export(request: HttpRequest, customer_id: PathId) -> Any:
    return selectors.customer_data(workspace_of(request), customer_id)


@customers_router.post(
    "/{customer_id}/erase",
    response=with_errors({200: schemas.ErasureOut}),
    summary="Erase the customer's personal data",
    description="Clears the profile, attributes, consents, event properties and the free text "
    "of orders and refunds, and replaces the external_id with a generated one; orders and "
    "refunds are kept with their amounts. Idempotent: a repeat for the same id answers the "
    "same erasure and changes nothing. Takes no body.",
)
def erase_customer(request: HttpRequest, customer_id: PathId) -> Any:
    done, _ = erasure.erase_customer(workspace_of(request), customer_id)
    return done


# ------------------------------------------------------------------ attributes


@attributes_router.get(
    "",
    response=with_errors({200: Page[schemas.AttributeDefinitionOut]}),
    summary="List the custom attributes of customers with their types, by key",
)
def list_customer_attributes(request: HttpRequest, page_params: Query[PageParams]) -> Any:
    rows, next_cursor = selectors.list_attribute_definitions(
        workspace_of(request), cursor=page_params.cursor, limit=page_params.limit
    )
    return page(rows, next_cursor)


# ------------------------------------------------------------------ custom events


@events_router.post(
    "/import",
    response=with_errors({202: BulkImportOut}),
    summary="Import custom events from a CSV, XLSX or JSON lines file, in the background "
    "(202: the queued run; follow it at /events/imports/{id})",
    openapi_extra=bulk_import_body("events", "properties"),
)
def import_events(request: HttpRequest) -> Any:
    return Status(202, submit_upload(request, "events"))


@events_router.get(
    "/imports/{import_id}",
    response=with_errors({200: BulkImportOut}),
    summary="The progress and report of an event import",
)
def get_event_import(request: HttpRequest, import_id: ImportId) -> Any:
    return runs.get_run(workspace_of(request), "events", import_id)


@events_router.post(
    "",
    response=with_errors({200: schemas.EventOut, 201: schemas.EventOut}),
    summary="Record a custom event (idempotent on its id)",
)
def create_event(request: HttpRequest, payload: schemas.EventIn) -> Any:
    workspace = workspace_of(request)
    event, created = custom_events.record_event(workspace, payload.model_dump(exclude_unset=True))
    if not created:  # the stored event, with what it did
        event = selectors.get_event(workspace, event.pk)
    return Status(201 if created else 200, event)
