"""`POST /validations` (docs/checkout.md): the verdict on a stack of redeemables for a
customer's cart. Pure: it reads and writes nothing."""

from collections.abc import Mapping
from typing import Any

from kizuna.core.clock import now
from kizuna.core.errors import KizunaError, ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.models import Customer
from kizuna.orders.services.orders import check_order
from kizuna.rewards.redeemables import Cart
from kizuna.rewards.services import checkout, stacking
from kizuna.rewards.services.checkout import Outcome

REQUIRED = {
    "voucher": ("code",),
    "gift_card": ("code",),
    "points": ("program_id", "points"),
    "reward": ("claim_id",),
}


def check_requests(value: Any, *, required: bool = True) -> list[dict[str, Any]]:
    """The requested redeemables, each naming what its type needs."""
    if not isinstance(value, list) or (required and not value):
        raise ValidationFailed(
            "Name at least one redeemable.", code="required", field="redeemables"
        )
    out = []
    for i, request in enumerate(value):
        if not isinstance(request, Mapping) or request.get("type") not in REQUIRED:
            raise ValidationFailed(
                f"type is one of {', '.join(REQUIRED)}.",
                code="invalid_redeemable",
                field=f"redeemables[{i}].type",
            )
        for name in REQUIRED[request["type"]]:
            if request.get(name) is None:
                raise ValidationFailed(
                    f"A {request['type']} names its {name}.",
                    code="required",
                    field=f"redeemables[{i}].{name}",
                )
        out.append({k: v for k, v in request.items() if v is not None})
    return out


def check_policy(value: Any) -> str:
    policy = value or checkout.ALL_OR_NOTHING
    if policy not in checkout.POLICIES:
        raise ValidationFailed(
            f"policy is one of {', '.join(checkout.POLICIES)}.",
            code="invalid_policy",
            field="policy",
        )
    return str(policy)


def check_cart_order(data: Mapping[str, Any], customer_id: str) -> Any:
    """The order of a cart, checked as `POST /orders` checks one; its faults name their path
    under `order`. A cart's order needs no external id until it is recorded."""
    body = {**data, "customer_id": data.get("customer_id") or customer_id}
    body.setdefault("external_id", None)
    try:
        return check_order(body)
    except KizunaError as exc:
        exc.field = f"order.{exc.field}" if exc.field else "order"
        raise


def customer_of(workspace: Workspace, external_id: str) -> Customer:
    """The cart's customer, in one query (their consents are read only if a condition asks)."""
    customer = one_or_none(
        Customer.objects.for_workspace(workspace).filter(external_id=external_id)
    )
    if customer is None:
        raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
    return customer


def cart_of(workspace: Workspace, data: Mapping[str, Any]) -> Cart:
    customer_id = data.get("customer_id")
    customer = customer_of(workspace, str(customer_id)) if customer_id else None
    order = data.get("order")
    checked = check_cart_order(order, str(customer_id or "")) if order is not None else None
    return Cart(workspace=workspace, customer=customer, order=checked, at=now())


def validate(workspace: Workspace, data: Mapping[str, Any]) -> Outcome:
    policy = check_policy(data.get("policy"))
    requests = check_requests(data.get("redeemables"))
    cart = cart_of(workspace, data)
    return checkout.check(cart, requests, policy, stacking.rules_of(workspace))
