"""Loyalty's part in orders and custom events, registered from `LoyaltyConfig.ready()` with
the registries those apps offer (kizuna.orders.participants, kizuna.customers.participants):
it runs in their transactions and answers its effects for their responses."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import F, Q, Sum

from kizuna.loyalty.models import Account, EntryType, LedgerEntry, PointLot
from kizuna.loyalty.services import facts

Effects = list[dict[str, Any]]
TAKEN_BACK = [EntryType.REFUND_CLAWBACK, EntryType.CANCEL]


class LoyaltyParticipant:
    name = "loyalty"

    # ------------------------------------------------------------ orders

    def order_paid(self, order: Any, items: Sequence[Any]) -> Effects:
        return facts.order_paid(order, items)

    def order_cancelled(self, order: Any) -> Effects:
        return facts.order_cancelled(order)

    def order_refunded(self, order: Any, refund: Any) -> Effects:
        return facts.order_refunded(order, refund)

    def order_effects(self, orders: Sequence[Any]) -> dict[int, Effects]:
        """Per order and program: the points it earned (active now), those still pending,
        those taken back, with the member's balance and tier."""
        if not orders:
            return {}
        by_id = {order.external_id: order for order in orders}
        workspace_id = orders[0].workspace_id
        refund_of = {
            refund.external_id: refund.order_id
            for order in orders
            for refund in order.refunds.all()
        }
        rows: dict[tuple[int, int], dict[str, int]] = defaultdict(
            lambda: {"earned": 0, "pending": 0, "taken": 0, "spent": 0, "returned": 0}
        )
        for source_id, account_id, earned, pending in (
            PointLot.objects.filter(
                workspace_id=workspace_id, source_type="order", source_id__in=list(by_id)
            )
            .values("source_id", "account_id")
            .annotate(
                earned=Sum("amount", filter=Q(pending=False)),
                pending=Sum("remaining", filter=Q(pending=True)),
            )
            .values_list("source_id", "account_id", "earned", "pending")
        ):
            row = rows[(by_id[source_id].pk, account_id)]
            row["earned"] += earned or 0
            row["pending"] += pending or 0
        moved = [*TAKEN_BACK, EntryType.SPEND, EntryType.ROLLBACK, EntryType.REFUND_RETURN]
        for source_type, source_id, account_id, type_, points in (
            LedgerEntry.objects.filter(workspace_id=workspace_id, type__in=moved)
            .filter(
                Q(source_type="order", source_id__in=list(by_id))
                | Q(source_type="refund", source_id__in=list(refund_of))
            )
            .values("source_type", "source_id", "account_id", "type")
            .annotate(moved=Sum(F("points") + F("pending_points")))
            .values_list("source_type", "source_id", "account_id", "type", "moved")
        ):
            order_pk = by_id[source_id].pk if source_type == "order" else refund_of[source_id]
            row = rows[(order_pk, account_id)]
            if type_ in TAKEN_BACK:
                row["taken"] -= points or 0
            elif type_ == EntryType.SPEND:
                row["spent"] -= points or 0
            else:
                row["returned"] += points or 0
        accounts = {
            a.pk: a
            for a in Account.objects.filter(pk__in={account for _, account in rows}).select_related(
                "program", "tier"
            )
        }
        out: dict[int, Effects] = defaultdict(list)
        for (order_pk, account_id), row in sorted(rows.items()):
            account = accounts[account_id]
            out[order_pk].append(
                {
                    "program_id": account.program.key,
                    "points_earned": row["earned"],
                    "points_pending": row["pending"],
                    "points_clawed_back": row["taken"],
                    "points_spent": row["spent"],
                    "points_returned": row["returned"],
                    "balance": account.active,
                    "tier": account.tier_key,
                }
            )
        return out

    def refund_effects(self, refunds: Sequence[Any]) -> dict[int, Effects]:
        if not refunds:
            return {}
        by_id = {refund.external_id: refund for refund in refunds}
        rows: dict[tuple[int, int], dict[str, int]] = defaultdict(
            lambda: {"taken": 0, "returned": 0}
        )
        for source_id, account_id, type_, points in (
            LedgerEntry.objects.filter(
                workspace_id=refunds[0].workspace_id,
                source_type="refund",
                source_id__in=list(by_id),
            )
            .values("source_id", "account_id", "type")
            .annotate(points=Sum(F("points") + F("pending_points")))
            .values_list("source_id", "account_id", "type", "points")
        ):
            row = rows[(by_id[source_id].pk, account_id)]
            if type_ == EntryType.REFUND_RETURN:
                row["returned"] += points or 0
            else:
                row["taken"] -= points or 0
        accounts = {
            a.pk: a
            for a in Account.objects.filter(pk__in={a for _, a in rows}).select_related("program")
        }
        out: dict[int, Effects] = defaultdict(list)
        for (refund_pk, account_id), row in sorted(rows.items()):
            out[refund_pk].append(
                {
                    "program_id": accounts[account_id].program.key,
                    "points_clawed_back": row["taken"],
                    "points_returned": row["returned"],
                    "balance": accounts[account_id].active,
                }
            )
        return out

    # ------------------------------------------------------------ custom events

    def event_recorded(self, event: Any) -> Effects:
        return facts.event_recorded(event)

    def event_effects(self, events: Sequence[Any]) -> dict[int, Effects]:
        if not events:
            return {}
        by_id = {event.client_id: event for event in events}
        rows: dict[tuple[int, int], dict[str, int]] = defaultdict(
            lambda: {"earned": 0, "pending": 0}
        )
        for source_id, account_id, earned, pending in (
            PointLot.objects.filter(
                workspace_id=events[0].workspace_id, source_type="event", source_id__in=list(by_id)
            )
            .values("source_id", "account_id")
            .annotate(
                earned=Sum("amount", filter=Q(pending=False)),
                pending=Sum("remaining", filter=Q(pending=True)),
            )
            .values_list("source_id", "account_id", "earned", "pending")
        ):
            rows[(by_id[source_id].pk, account_id)] = {
                "earned": earned or 0,
                "pending": pending or 0,
            }
        accounts = {
            a.pk: a
            for a in Account.objects.filter(pk__in={a for _, a in rows}).select_related(
                "program", "tier"
            )
        }
        out: dict[int, Effects] = defaultdict(list)
        for (event_pk, account_id), row in sorted(rows.items()):
            account = accounts[account_id]
            out[event_pk].append(
                {
                    "program_id": account.program.key,
                    "points_earned": row["earned"],
                    "points_pending": row["pending"],
                    "balance": account.active,
                    "tier": account.tier_key,
                }
            )
        return out


PARTICIPANT = LoyaltyParticipant()


def register() -> None:
    from kizuna.customers import participants as event_participants
    from kizuna.orders import participants as order_participants

    order_participants.register(PARTICIPANT)
    event_participants.register(PARTICIPANT)
