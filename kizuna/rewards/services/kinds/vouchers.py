"""The `voucher` kind: a code of a voucher campaign (kizuna.vouchers), taking its campaign's
discount off the order. Resolving reads the codes of a stack in one query, and the
customer's uses of their campaigns in one more; taking a code counts a use (or holds one)
through `kizuna.vouchers.services.usage`, whose conditional UPDATEs keep every limit."""

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from kizuna.core import conditions as c
from kizuna.customers.conditions import customer_facts
from kizuna.rewards.redeemables import Cart, Offer, Refusal, Resolved
from kizuna.rewards.redemption_errors import Unavailable
from kizuna.vouchers.errors import CustomerLimitReached, VoucherUsedUp
from kizuna.vouchers.models import CampaignCustomerUse, CampaignStatus, Voucher
from kizuna.vouchers.services import codes, usage
from kizuna.vouchers.services.campaigns import window_state

NOT_VALID = "This code is not valid."


def vouchers_by_code(cart: Cart, raw_codes: Sequence[str]) -> dict[str, Voucher]:
    wanted = {codes.normalize(code) for code in raw_codes if codes.is_code(code)}
    if not wanted:
        return {}
    rows = (
        Voucher.objects.for_workspace(cart.workspace)
        .filter(code__in=wanted)
        .select_related("campaign", "campaign__customer", "customer")
    )
    return {voucher.code: voucher for voucher in rows}


def customer_uses(cart: Cart, vouchers: Sequence[Voucher]) -> dict[int, int]:
    """Uses and holds of each campaign (with a limit per customer) by the cart's customer."""
    limited = {v.campaign_id for v in vouchers if v.campaign.per_customer is not None}
    if not limited or cart.customer is None:
        return {}
    rows = CampaignCustomerUse.objects.filter(
        campaign_id__in=limited, customer_id=cart.customer.pk
    ).values_list("campaign_id", "uses", "held")
    return {campaign: uses + held for campaign, uses, held in rows}


def context(cart: Cart) -> c.Context:
    """What campaign conditions read: the customer and the order, as of the cart's time."""
    facts: dict[str, Any] = {}
    if cart.customer is not None:
        facts.update(customer_facts(cart.customer))
    if cart.order is not None:
        facts.update(order=cart.order, order_items=list(cart.order.items))
    return c.Context(now=cart.at, tz=ZoneInfo(cart.workspace.timezone), **facts)


class VoucherKind:
    type = "voucher"

    def resolve(
        self, cart: Cart, requests: Sequence[Mapping[str, Any]]
    ) -> list[Resolved | Refusal]:
        found = vouchers_by_code(cart, [str(r.get("code") or "") for r in requests])
        used = customer_uses(cart, list(found.values()))
        ctx = context(cart)
        out: list[Resolved | Refusal] = []
        for request in requests:
            raw = str(request.get("code") or "")
            voucher = found.get(codes.normalize(raw)) if codes.is_code(raw) else None
            out.append(self._one(cart, raw, voucher, used, ctx))
        return out

    def _one(
        self,
        cart: Cart,
        raw: str,
        voucher: Voucher | None,
        used: dict[int, int],
        ctx: c.Context,
    ) -> Resolved | Refusal:
        if voucher is None:
            return Refusal(raw, "not_valid", NOT_VALID)
        campaign = voucher.campaign
        owner = voucher.customer or campaign.customer
        customer_pk = cart.customer.pk if cart.customer is not None else None
        if campaign.status != CampaignStatus.ACTIVE or (
            owner is not None and owner.pk != customer_pk
        ):
            return Refusal(raw, "not_valid", NOT_VALID)
        window = window_state(campaign, cart.at)
        if window == "not_started":
            return Refusal(raw, "not_started", "The code's campaign has not started yet.")
        if window == "expired":
            return Refusal(raw, "expired", "The code's campaign has ended.")
        if voucher.max_uses is not None and voucher.uses + voucher.held >= voucher.max_uses:
            return Refusal(raw, "usage_limit_reached", "The code has no use left.")
        limit = campaign.per_customer
        if limit is not None and used.get(campaign.pk, 0) >= limit:
            return Refusal(
                raw, "usage_limit_reached", "The customer has used this campaign's codes enough."
            )
        discount = campaign.discount
        currency = discount.get("currency")
        if cart.order is not None and currency is not None and currency != cart.order.currency:
            return Refusal(
                raw, "currency_mismatch", f"The code's discount is in {currency}, not the order's."
            )
        if cart.order is not None and campaign.condition is not None:
            condition = c.parse(campaign.condition, workspace=cart.workspace)
            if not c.evaluate(condition, ctx):
                return Refusal(
                    raw, "conditions_not_met", "The order does not meet the code's terms."
                )
        return Resolved(
            ref=raw,
            offer=Offer(category="discount", effect=discount, group="voucher"),
            target=voucher,
            details={"id": voucher.code, "campaign_id": campaign.key},
        )

    def take(self, cart: Cart, resolved: Resolved, line: Any, hold: bool) -> dict[str, Any]:
        voucher: Voucher = resolved.target
        customer_pk = cart.customer.pk if cart.customer is not None else None
        try:
            (usage.hold if hold else usage.use)(voucher, customer_pk)
        except (VoucherUsedUp, CustomerLimitReached) as exc:
            raise Unavailable("usage_limit_reached", exc.message, field="redeemables") from exc
        return {"voucher_id": voucher.pk}

    def _voucher(self, line: Any) -> Voucher:
        return Voucher.objects.select_related("campaign").get(pk=line.data["voucher_id"])

    def confirm(self, line: Any) -> None:
        usage.confirm_hold(self._voucher(line), line.redemption.customer_id)

    def release(self, line: Any) -> None:
        usage.release_hold(self._voucher(line), line.redemption.customer_id)

    def give_back(self, line: Any) -> None:
        usage.give_back(self._voucher(line), line.redemption.customer_id)


KIND = VoucherKind()
