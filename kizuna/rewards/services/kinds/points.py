"""The `points` kind: points of a loyalty program paying part of the order at the program's
pay-with-points rate (`redeemables.points_per_unit`). Resolving reads the programs and the
customer's accounts of a stack in two queries. Taking spends (or holds: a spend the release
rolls back) through `kizuna.loyalty.services.holds`, the account locked; a redemption that
records its order leaves the spend to loyalty, which spends the order's `points` payments
in the order's transaction (`kizuna/loyalty/services/payments.py`), so nothing is spent
twice."""

from collections.abc import Mapping, Sequence
from typing import Any

from kizuna.loyalty.errors import InsufficientPoints, NotAMember
from kizuna.loyalty.models import Account, Program, ProgramStatus
from kizuna.loyalty.services import holds
from kizuna.loyalty.services.ledger import Source
from kizuna.rewards import redeemables
from kizuna.rewards.redeemables import Cart, Offer, Refusal, Resolved
from kizuna.rewards.redemption_errors import Unavailable
from kizuna.rewards.services.checkout import payment_limit

SOURCE_TYPE = "redemption"


class PointsKind:
    type = "points"

    def resolve(
        self, cart: Cart, requests: Sequence[Mapping[str, Any]]
    ) -> list[Resolved | Refusal]:
        keys = {str(r.get("program_id") or "") for r in requests}
        accounts: dict[str, Account] = {}
        if cart.customer is not None:
            accounts = {
                a.program.key: a
                for a in Account.objects.for_workspace(cart.workspace)
                .filter(
                    customer_id=cart.customer.pk,
                    program__key__in=keys,
                    program__status=ProgramStatus.ACTIVE,
                )
                .select_related("program")
            }
        programs = {key: account.program for key, account in accounts.items()}
        rates = {key: redeemables.points_per_unit(program) for key, program in programs.items()}
        return [self._one(cart, r, programs, accounts, rates) for r in requests]

    def _one(
        self,
        cart: Cart,
        request: Mapping[str, Any],
        programs: dict[str, Program],
        accounts: dict[str, Account],
        rates: dict[str, Any],
    ) -> Resolved | Refusal:
        key = str(request.get("program_id") or "")
        points = request.get("points")
        program = programs.get(key)
        account = accounts.get(key)
        if program is None or account is None:
            return Refusal(
                key, "not_valid", f"The customer is no member of an active program {key!r}."
            )
        rate = rates.get(key)
        if not rate:
            return Refusal(key, "not_valid", f"The points of {key!r} cannot pay for orders.")
        if cart.order is not None and program.currency != cart.order.currency:
            return Refusal(
                key, "currency_mismatch", f"{key!r} is in {program.currency}, not the order's."
            )
        if isinstance(points, bool) or not isinstance(points, int) or points < 1:
            return Refusal(key, "not_valid", "points is a whole number of at least 1.")
        if points > account.active:
            return Refusal(
                key,
                "insufficient_points",
                f"The customer has {max(account.active, 0)} active points; {points} are asked.",
            )
        limit = payment_limit(points, rate, program.currency)
        if limit <= 0:
            return Refusal(key, "conditions_not_met", f"{points} points pay nothing.")
        return Resolved(
            ref=key,
            offer=Offer(
                category="payment", limit=limit, points=points, points_per_unit=rate, group="points"
            ),
            target=account,
            details={"id": key, "points_per_unit": str(rate), "balance": account.active},
        )

    def take(self, cart: Cart, resolved: Resolved, line: Any, hold: bool) -> dict[str, Any]:
        account: Account = resolved.target
        data = {"account_id": account.pk, "program_id": resolved.ref}
        if line.redemption.order_recorded:
            return {**data, "by_order": True}  # loyalty spends the order's points payment
        try:
            holds.spend_for(
                account.program,
                account.customer_id,
                line.points,
                Source(SOURCE_TYPE, line.redemption.public_id),
                reason=f"Redemption {line.redemption.public_id}",
            )
        except (InsufficientPoints, NotAMember) as exc:
            raise Unavailable("insufficient_points", exc.message, field="redeemables") from exc
        return data

    def confirm(self, line: Any) -> None:
        """A hold is a spend already."""

    def release(self, line: Any) -> None:
        self.give_back(line)

    def give_back(self, line: Any) -> None:
        if line.data.get("by_order"):
            return  # cancelling the order gave them back (loyalty's returns)
        holds.give_back(
            line.redemption.workspace_id,
            line.data["account_id"],
            Source(SOURCE_TYPE, line.redemption.public_id),
            reason=f"Redemption {line.redemption.public_id} rolled back",
        )


KIND = PointsKind()
