"""The `reward` redeemable kind (kizuna/rewards/redeemables.py): a claimed discount, free
shipping, free product or cashback, redeemed at checkout as `{"type": "reward", "claim_id"}`.

A claim is the customer's own: someone else's claim, an unknown one, or a reward that
issues no code (a gift card, a material reward) is `not_valid`; a claim held or used is
`usage_limit_reached`; one past its time `expired`; one whose order condition (or free
product's sku) the cart does not meet `conditions_not_met`. Its state moves by conditional
UPDATE: issued -> held -> used, and back, each step once however often it is asked."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Q

from kizuna.core import conditions as c
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.customers.conditions import customer_facts
from kizuna.rewards.models import CODE_TYPES, Claim, ClaimState, RewardType
from kizuna.rewards.redeemables import Cart, Offer, Refusal, Resolved

GROUP = "reward"
# At most this many of a customer's claims are offered to qualifications.
CANDIDATES = 50


def effect_of(claim: Claim) -> dict[str, Any]:
    """The claim's effect in the shape of a voucher discount (or a cashback)."""
    value = claim.effect
    if claim.type == RewardType.DISCOUNT_AMOUNT:
        return {"type": "amount", "amount": value["amount"], "currency": value["currency"]}
    if claim.type == RewardType.DISCOUNT_PERCENT or claim.type == RewardType.CASHBACK:
        kind = "percent" if claim.type == RewardType.DISCOUNT_PERCENT else "cashback"
        out: dict[str, Any] = {"type": kind}
        out.update({k: value[k] for k in ("amount", "percent", "max_discount") if k in value})
        if "currency" in value:
            out["currency"] = value["currency"]
        return out
    if claim.type == RewardType.FREE_SHIPPING:
        return {"type": "free_shipping"}
    return {"type": "free_product", "sku": value["sku"]}


def _meets(claim: Claim, cart: Cart) -> bool:
    if claim.type == RewardType.FREE_PRODUCT:
        skus = {item.sku for item in cart.order.items}
        if claim.effect["sku"] not in skus:
            return False
    if claim.order_condition is None:
        return True
    condition = c.parse(
        claim.order_condition,
        workspace=cart.workspace,
        subjects={"customer", "order"},
        root="order_condition",
    )
    facts = {
        **customer_facts(cart.customer),
        "order": cart.order,
        "order_items": list(cart.order.items),
    }
    try:
        return c.evaluate(condition, c.Context(now=cart.at, **facts))
    except c.NotEvaluableInMemory:
        return False


def _refusal(claim: Claim | None, cart: Cart, ref: str) -> Refusal | None:
    if claim is None or claim.customer_id != cart.customer.pk or claim.type not in CODE_TYPES:
        return Refusal(ref, "not_valid", "This claim is not valid.")
    if claim.state in (ClaimState.HELD, ClaimState.USED):
        return Refusal(ref, "usage_limit_reached", "The claim has been used.")
    if claim.state == ClaimState.EXPIRED or (
        claim.expires_at is not None and claim.expires_at <= cart.at
    ):
        return Refusal(ref, "expired", "The claim has expired.")
    if claim.state != ClaimState.ISSUED:
        return Refusal(ref, "not_valid", "This claim is not valid.")
    currency = claim.effect.get("currency")
    if currency is not None and currency != cart.order.currency:
        return Refusal(ref, "currency_mismatch", f"The reward is in {currency}.")
    if not _meets(claim, cart):
        return Refusal(ref, "conditions_not_met", "The order does not meet the reward's terms.")
    return None


class RewardKind:
    type = "reward"

    def resolve(
        self, cart: Cart, requests: Sequence[Mapping[str, Any]]
    ) -> list[Resolved | Refusal]:
        refs = [str(request.get("claim_id") or "") for request in requests]
        claims = {
            claim.public_id: claim
            for claim in Claim.objects.for_workspace(cart.workspace).filter(
                public_id__in=[ref for ref in refs if ref]
            )
        }
        out: list[Resolved | Refusal] = []
        for ref in refs:
            claim = claims.get(ref)
            refusal = _refusal(claim, cart, ref)
            if refusal is not None:
                out.append(refusal)
                continue
            assert claim is not None
            effect = effect_of(claim)
            category = "cashback" if claim.type == RewardType.CASHBACK else "discount"
            out.append(
                Resolved(
                    ref=ref,
                    offer=Offer(category=category, effect=effect, group=GROUP),
                    target=claim,
                    details={"claim_id": claim.public_id, "reward_type": claim.type},
                )
            )
        return out

    def candidates(self, cart: Cart) -> list[dict[str, Any]]:
        """The customer's claims a checkout could use (for qualifications): issued code
        rewards not past their time, newest first, in one query."""
        live = Q(expires_at__isnull=True) | Q(expires_at__gt=cart.at)
        claim_ids = (
            Claim.objects.for_workspace(cart.workspace)
            .filter(
                live, customer_id=cart.customer.pk, state=ClaimState.ISSUED, type__in=CODE_TYPES
            )
            .order_by("-pk")
            .values_list("public_id", flat=True)[:CANDIDATES]
        )
        return [{"type": self.type, "claim_id": claim_id} for claim_id in claim_ids]

    def take(self, cart: Cart, resolved: Resolved, line: Any, hold: bool) -> dict[str, Any]:
        """Hold (or use) the claim for this redemption; a retry of the same redemption
        finds it taken already and changes nothing."""
        redemption = str(line.redemption.public_id)
        target = ClaimState.HELD if hold else ClaimState.USED
        moment = now()
        free = Q(state=ClaimState.ISSUED) & (Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
        taken = Claim.objects.filter(
            free, workspace_id=cart.workspace.pk, public_id=resolved.ref
        ).update(
            state=target,
            redemption_id=redemption,
            order_external_id=cart.order.external_id or "",
            used_at=None if hold else moment,
            updated_at=moment,
        )
        if not taken:
            mine = Claim.objects.filter(
                workspace_id=cart.workspace.pk,
                public_id=resolved.ref,
                state=target,
                redemption_id=redemption,
            ).exists()
            if not mine:
                raise ValidationFailed(
                    "The claim is used or has expired.",
                    code="usage_limit_reached",
                    field="redeemables",
                )
        return {"claim_id": resolved.ref}

    def _move(self, line: Any, since: str, **changes: Any) -> None:
        # A cashback credited already stays used: its order's cancellation reverses it.
        Claim.objects.filter(
            workspace_id=line.redemption.workspace_id,
            public_id=line.ref,
            state=since,
            redemption_id=str(line.redemption.public_id),
            credit_card__isnull=True,
        ).update(updated_at=now(), **changes)

    def confirm(self, line: Any) -> None:
        self._move(line, ClaimState.HELD, state=ClaimState.USED, used_at=now())

    def release(self, line: Any) -> None:
        self._move(
            line, ClaimState.HELD, state=ClaimState.ISSUED, redemption_id="", order_external_id=""
        )

    def give_back(self, line: Any) -> None:
        self._move(
            line,
            ClaimState.USED,
            state=ClaimState.ISSUED,
            redemption_id="",
            order_external_id="",
            used_at=None,
        )


KIND = RewardKind()
