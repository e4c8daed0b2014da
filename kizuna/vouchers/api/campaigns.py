"""/voucher-campaigns: campaigns, their codes, and the runs that generate or import them."""

import json
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.errors import MalformedRequest, ValidationFailed
from kizuna.core.http import actor_of, uploaded_file, workspace_of
from kizuna.core.imports.readers import check_upload_length
from kizuna.core.imports.runs import MAX_UPLOAD_BYTES
from kizuna.core.jsonvalues import check_json_value, object_pairs
from kizuna.core.schemas import ImportId, ObjectPathId, Page, PageParams, page, with_errors
from kizuna.vouchers import schemas, selectors
from kizuna.vouchers.api.lookups import present_voucher
from kizuna.vouchers.services import campaigns, codes_import, generation, lookup

campaigns_router = Router(tags=["vouchers"])


def _body(payload: Any) -> dict[str, Any]:
    return dict(payload.model_dump(exclude_unset=True))


@campaigns_router.post(
    "", response=with_errors({201: schemas.CampaignOut}), summary="Create a voucher campaign"
)
def create_campaign(request: HttpRequest, payload: schemas.CampaignIn) -> Any:
    return Status(
        201, campaigns.create_campaign(workspace_of(request), _body(payload), actor_of(request))
    )


@campaigns_router.get(
    "",
    response=with_errors({200: Page[schemas.CampaignOut]}),
    summary="List voucher campaigns, newest first",
)
def list_campaigns(request: HttpRequest, page_params: Query[PageParams]) -> Any:
    return page(
        *selectors.list_campaigns(
            workspace_of(request), cursor=page_params.cursor, limit=page_params.limit
        )
    )


@campaigns_router.get(
    "/{campaign_id}",
    response=with_errors({200: schemas.CampaignOut}),
    summary="Get a voucher campaign",
)
def get_campaign(request: HttpRequest, campaign_id: ObjectPathId) -> Any:
    return campaigns.get_campaign(workspace_of(request), campaign_id)


@campaigns_router.patch(
    "/{campaign_id}",
    response=with_errors({200: schemas.CampaignOut}),
    summary="Change a voucher campaign (name, status, discount, code, usage, window, "
    "condition, customer)",
)
def update_campaign(
    request: HttpRequest, campaign_id: ObjectPathId, payload: schemas.CampaignPatch
) -> Any:
    return campaigns.update_campaign(
        workspace_of(request), campaign_id, _body(payload), actor_of(request)
    )


_CODES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 1000000}},
                    "required": ["count"],
                    "additionalProperties": False,
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A .csv (UTF-8), .xlsx or .jsonl file of existing "
                            "codes: a `code` column and an optional `customer_id` column.",
                        }
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


def _count_of(request: HttpRequest) -> object:
    if request.content_type != "application/json":
        raise ValidationFailed(
            'Send {"count": N} as JSON, or a file as multipart/form-data.',
            code="unsupported_media_type",
            field="Content-Type",
            status=415,
        )
    try:
        body = json.loads(request.body or b"", object_pairs_hook=object_pairs)
    except ValueError as exc:
        raise MalformedRequest(
            f"The body is not valid JSON: {exc}.", code="malformed_json"
        ) from exc
    if not isinstance(body, dict):
        raise MalformedRequest("The body must be a JSON object.", code="malformed_json")
    check_json_value(body)
    unknown = sorted(set(body) - {"count"})
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}.", code="unknown_field", field=unknown[0]
        )
    if "count" not in body:
        raise ValidationFailed("count is required.", code="required", field="count")
    return body["count"]


@campaigns_router.post(
    "/{campaign_id}/codes",
    response=with_errors({202: schemas.CodeGenerationOut | schemas.CodeImportOut}),
    summary="Generate codes ({count}, JSON) or import existing ones (a file, multipart), in "
    "the background (202: the run; follow it at its url)",
    openapi_extra=_CODES_BODY,
)
def add_codes(request: HttpRequest, campaign_id: ObjectPathId) -> Any:
    workspace = workspace_of(request)
    if request.content_type == "multipart/form-data":
        check_upload_length(request.META.get("CONTENT_LENGTH"), MAX_UPLOAD_BYTES)
        upload = uploaded_file(request)
        assert upload.file is not None
        imported = codes_import.submit_codes(
            workspace, campaign_id, upload.file, filename=upload.name or "", size=upload.size or 0
        )
        return Status(202, imported)
    generated = generation.request_generation(workspace, campaign_id, _count_of(request))
    return Status(202, generated)


@campaigns_router.get(
    "/{campaign_id}/generations/{generation_id}",
    response=with_errors({200: schemas.CodeGenerationOut}),
    summary="The progress of a code generation",
)
def get_generation(request: HttpRequest, campaign_id: ObjectPathId, generation_id: ImportId) -> Any:
    return generation.get_generation(workspace_of(request), campaign_id, generation_id)


@campaigns_router.get(
    "/{campaign_id}/imports/{import_id}",
    response=with_errors({200: schemas.CodeImportOut}),
    summary="The progress and per-row report of a code import",
)
def get_import(request: HttpRequest, campaign_id: ObjectPathId, import_id: ImportId) -> Any:
    return codes_import.get_import(workspace_of(request), campaign_id, import_id)


@campaigns_router.get(
    "/{campaign_id}/vouchers",
    response=with_errors({200: Page[schemas.VoucherOut]}),
    summary="The codes of a campaign, oldest first",
)
def list_vouchers(
    request: HttpRequest, campaign_id: ObjectPathId, page_params: Query[PageParams]
) -> Any:
    workspace = workspace_of(request)
    campaign = campaigns.get_campaign(workspace, campaign_id)
    rows, next_cursor = selectors.list_vouchers(
        workspace, campaign, cursor=page_params.cursor, limit=page_params.limit
    )
    return page(
        [present_voucher(lookup.found(voucher), server=True) for voucher in rows], next_cursor
    )
