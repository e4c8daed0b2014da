"""HTTP handlers of the checkout (API.md, "Rewards, vouchers, redemptions"; docs/checkout.md):
parse, call one service, present. Mounted by kizuna.api under /v1 with server-key auth."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import PathId, with_errors
from kizuna.rewards.schemas import checkout as schemas
from kizuna.rewards.services import (
    qualifications,
    redemptions,
    reservations,
    stacking,
    validations,
)

checkout_router = Router(tags=["checkout"])


@checkout_router.post(
    "/validations",
    response=with_errors({200: schemas.ValidationOut}),
    summary="What a stack of redeemables gives on a cart (changes nothing)",
)
def validate_stack(request: HttpRequest, payload: schemas.ValidationIn) -> Any:
    return validations.validate(workspace_of(request), payload.model_dump()).answer()


@checkout_router.post(
    "/qualifications",
    response=with_errors({200: schemas.QualificationsOut}),
    summary="What this customer can use on this cart, best value first (changes nothing)",
)
def qualify_customer(request: HttpRequest, payload: schemas.QualificationIn) -> Any:
    return {"data": qualifications.qualify(workspace_of(request), payload.model_dump())}


@checkout_router.post(
    "/redemptions",
    response=with_errors({201: schemas.RedemptionOut}),
    summary="Redeem a stack on an order, or reserve it (reserve_for), atomically",
)
def create_redemption(request: HttpRequest, payload: schemas.RedemptionIn) -> Any:
    redemption, _ = redemptions.redeem(
        workspace_of(request), payload.model_dump(), actor_of(request)
    )
    return Status(201, redemption)


@checkout_router.post(
    "/redemptions/scan",
    response=with_errors({201: schemas.RedemptionOut}),
    summary="Redeem a code scanned at a store, recording who scanned it and where",
)
def scan_code(request: HttpRequest, payload: schemas.ScanIn) -> Any:
    return Status(
        201, redemptions.scan(workspace_of(request), payload.model_dump(), actor_of(request))
    )


@checkout_router.get(
    "/redemptions/{redemption_id}",
    response=with_errors({200: schemas.RedemptionOut}),
    summary="A redemption, its lines and where it was made",
)
def get_redemption(request: HttpRequest, redemption_id: PathId) -> Any:
    return redemptions.get_redemption(workspace_of(request), redemption_id)


@checkout_router.post(
    "/redemptions/{redemption_id}/confirm",
    response=with_errors({200: schemas.RedemptionOut}),
    summary="Commit a reservation: its holds become uses",
)
def confirm_redemption(request: HttpRequest, redemption_id: PathId) -> Any:
    return reservations.confirm(workspace_of(request), redemption_id, actor_of(request))


@checkout_router.post(
    "/redemptions/{redemption_id}/rollback",
    response=with_errors({200: schemas.RedemptionOut}),
    summary="Undo a redemption: points, code uses and gift-card value restored, once",
)
def rollback_redemption(request: HttpRequest, redemption_id: PathId) -> Any:
    return redemptions.rollback(workspace_of(request), redemption_id, actor_of(request))


@checkout_router.get(
    "/stacking-rules",
    response=with_errors({200: schemas.StackingRulesOut}),
    summary="How redeemables combine on one order in this workspace",
)
def get_stacking_rules(request: HttpRequest) -> Any:
    return stacking.stored_rules(workspace_of(request))


@checkout_router.put(
    "/stacking-rules",
    response=with_errors({200: schemas.StackingRulesOut}),
    summary="Set how redeemables combine on one order",
)
def set_stacking_rules(request: HttpRequest, payload: schemas.StackingRulesIn) -> Any:
    return stacking.set_rules(workspace_of(request), payload.model_dump(), actor_of(request))
