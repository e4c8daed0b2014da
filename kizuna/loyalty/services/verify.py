"""The ledger's invariants, checked for every account at once (in SQL, grouped by account):
the cached balances equal the sums of the entries, the lots hold the balances, and every lot's
`remaining` is its amount less what its allocations took."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from kizuna.loyalty.models import Account, EntryType, LedgerEntry, LotAllocation, PointLot

EARNED = [EntryType.EARN, EntryType.ACTIVATE, EntryType.REFUND_CLAWBACK, EntryType.CANCEL]
SPENT = [EntryType.SPEND, EntryType.ROLLBACK, EntryType.REFUND_RETURN]


@dataclass(frozen=True)
class Problem:
    account_id: int
    program: str
    customer: str
    message: str

    def __str__(self) -> str:
        return f"account {self.account_id} ({self.program}/{self.customer}): {self.message}"


def _when(types: Sequence[str], column: str) -> Sum:
    return Sum(
        Case(When(type__in=types, then=F(column)), default=Value(0), output_field=IntegerField())
    )


def verify(accounts: "list[int] | None" = None) -> list[Problem]:
    """Every difference between the caches, the lots and the ledger (none when all agree)."""
    scope = Account.objects.all() if accounts is None else Account.objects.filter(pk__in=accounts)
    sums = {
        row["account_id"]: row
        for row in LedgerEntry.objects.filter(account__in=scope)
        .values("account_id")
        .annotate(
            active=Sum("points"),
            pending=Sum("pending_points"),
            earned=_when(EARNED, "points"),
            spent=_when(SPENT, "points"),
            expired=_when([EntryType.EXPIRE], "points"),
        )
    }
    lots = {
        row["account_id"]: row
        for row in PointLot.objects.filter(account__in=scope)
        .values("account_id")
        .annotate(
            pending=Coalesce(Sum("remaining", filter=Q(pending=True)), 0),
            active=Coalesce(Sum("remaining", filter=Q(pending=False)), 0),
        )
    }
    taken: dict[int, int] = defaultdict(int)
    for lot_id, points in (
        LotAllocation.objects.filter(lot__account__in=scope)
        .values("lot_id")
        .annotate(points=Sum("points"))
        .values_list("lot_id", "points")
    ):
        taken[lot_id] = points
    problems: list[Problem] = []
    for account in scope.select_related("program", "customer").order_by("pk").iterator(2000):
        found: Any = sums.get(account.pk, {})
        expected = {
            "active": found.get("active") or 0,
            "pending": found.get("pending") or 0,
            "lifetime_earned": found.get("earned") or 0,
            "spent": -(found.get("spent") or 0),
            "expired": -(found.get("expired") or 0),
        }

        def problem(message: str, account: Account = account) -> None:
            problems.append(
                Problem(account.pk, account.program.key, account.customer.external_id, message)
            )

        for name, value in expected.items():
            if getattr(account, name) != value:
                problem(f"{name} is {getattr(account, name)}, the ledger says {value}")
        held = lots.get(account.pk, {"pending": 0, "active": 0})
        if held["pending"] != expected["pending"]:
            problem(
                f"pending lots hold {held['pending']}, the pending balance is {expected['pending']}"
            )
        if held["active"] != max(expected["active"], 0):
            problem(
                f"active lots hold {held['active']}, the active balance is {expected['active']}"
            )
    for lot in (
        PointLot.objects.filter(account__in=scope)
        .select_related("account__program", "account__customer")
        .order_by("pk")
        .iterator(5000)
    ):
        if lot.remaining != lot.amount - taken.get(lot.pk, 0):
            account = lot.account
            problems.append(
                Problem(
                    account.pk,
                    account.program.key,
                    account.customer.external_id,
                    f"lot {lot.pk} has {lot.remaining} left of {lot.amount}, its allocations "
                    f"took {taken.get(lot.pk, 0)}",
                )
            )
    return problems
