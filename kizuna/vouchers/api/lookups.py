"""/vouchers/{code}: a code's state and its QR code, for a server key or a publishable key.

A publishable key gets the same 404 `not_valid` for every code it may not use (unknown,
expired, not started, used up, paused, someone else's), and its failed lookups are counted
per key and client address: past the limit, 429 `rate_limited` with Retry-After, so that
codes cannot be found by trying them. A server key gets the truth, with the same limit on
its failed lookups."""

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema
from pydantic import Field

from kizuna.accounts.models import ApiKey
from kizuna.core import throttle
from kizuna.core.errors import NotFound
from kizuna.core.http import client_address, workspace_of
from kizuna.core.logging import request_id_var
from kizuna.core.schemas import ExternalId, with_errors
from kizuna.vouchers import schemas
from kizuna.vouchers.services import qr
from kizuna.vouchers.services.lookup import Found, lookup

vouchers_router = Router(tags=["vouchers"])

# Failed lookups allowed per key (publishable: per key and client address) in a window.
DEFAULT_RATE: throttle.Rate = (20, 60)


def _publishable(request: HttpRequest) -> bool:
    return getattr(request.auth, "kind", None) == ApiKey.Kind.PUBLISHABLE  # type: ignore[attr-defined]


def _throttle_key(request: HttpRequest) -> str:
    key = f"voucher_lookup:{request.auth.pk}"  # type: ignore[attr-defined]
    if _publishable(request):
        key += f":{client_address(request)}"
    return key


def _rate() -> throttle.Rate | None:
    rates: dict[str, Any] = getattr(settings, "KIZUNA_RATE_LIMITS", {})
    return rates.get("voucher_lookup", DEFAULT_RATE)


def _too_many(verdict: throttle.Verdict) -> JsonResponse:
    response = JsonResponse(
        {
            "code": "rate_limited",
            "message": f"Too many failed code lookups; retry in {verdict.retry_after} s.",
            "field": None,
            "details": [],
            "request_id": request_id_var.get(),
        },
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _find(request: HttpRequest, code: str, customer_id: str | None) -> Found | JsonResponse:
    """The code as the key may see it; a failed lookup counts against the key's limit."""
    key, rate = _throttle_key(request), _rate()
    verdict = throttle.peek(key, rate)
    if not verdict.allowed:
        return _too_many(verdict)
    try:
        return lookup(
            workspace_of(request),
            code,
            publishable=_publishable(request),
            customer_id=customer_id,
        )
    except NotFound:
        verdict = throttle.hit(key, rate, refund_refused=False)
        if not verdict.allowed:
            return _too_many(verdict)
        raise


def present_voucher(found: Found, *, server: bool) -> Any:
    voucher, campaign = found.voucher, found.campaign
    base = f"/api/v1/vouchers/{voucher.code}"
    # A browser fetches a personal code's QR code as it looked the code up: naming its owner.
    owner = (
        "" if server or found.owner is None else f"?customer_id={quote(found.owner.external_id)}"
    )
    common = {
        "code": voucher.code,
        "status": found.status,
        "name": campaign.name,
        "discount": campaign.discount,
        "valid_from": campaign.valid_from,
        "valid_until": campaign.valid_until,
        "qr": {"png": f"{base}/qr.png{owner}", "svg": f"{base}/qr.svg{owner}"},
    }
    if not server:
        return schemas.VoucherPublicOut(**common)
    return schemas.VoucherOut(
        **common,
        campaign_id=campaign.key,
        condition=campaign.condition,
        customer_id=found.owner.external_id if found.owner is not None else None,
        max_uses=voucher.max_uses,
        uses=voucher.uses,
        held=voucher.held,
        uses_left=found.uses_left,
        per_customer=campaign.per_customer,
        source=voucher.source,
        created_at=voucher.created_at,
    )


@vouchers_router.get(
    "/{code}",
    response=with_errors({200: schemas.VoucherOut | schemas.VoucherPublicOut}),
    summary="A voucher code's state (server key), or whether the visitor may use it "
    "(publishable key: 404 not_valid for any code it may not use)",
)
def get_voucher(
    request: HttpRequest, code: str, customer_id: Query[ExternalId | None] = None
) -> Any:
    result = _find(request, code, customer_id)
    if isinstance(result, JsonResponse):
        return result
    return present_voucher(result, server=not _publishable(request))


class QrParams(Schema):
    customer_id: ExternalId | None = None
    scale: int = Field(default=qr.DEFAULT_SCALE, ge=qr.MIN_SCALE, le=qr.MAX_SCALE)
    border: int = Field(default=qr.DEFAULT_BORDER, ge=0, le=10)


def _qr(request: HttpRequest, code: str, params: QrParams, kind: str) -> HttpResponse:
    result = _find(request, code, params.customer_id)
    if isinstance(result, JsonResponse):
        return result
    draw = qr.qr_png if kind == "png" else qr.qr_svg
    content = draw(result.voucher.code, scale=params.scale, border=params.border)
    response = HttpResponse(content, content_type="image/png" if kind == "png" else "image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _image(media_type: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": "The QR code of the voucher's code.",
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


@vouchers_router.get(
    "/{code}/qr.png",
    response=with_errors({200: None}),
    summary="The QR code of a voucher code, as PNG",
    openapi_extra=_image("image/png"),
)
def voucher_qr_png(request: HttpRequest, code: str, params: Query[QrParams]) -> Any:
    return _qr(request, code, params, "png")


@vouchers_router.get(
    "/{code}/qr.svg",
    response=with_errors({200: None}),
    summary="The QR code of a voucher code, as SVG",
    openapi_extra=_image("image/svg+xml"),
)
def voucher_qr_svg(request: HttpRequest, code: str, params: Query[QrParams]) -> Any:
    return _qr(request, code, params, "svg")
