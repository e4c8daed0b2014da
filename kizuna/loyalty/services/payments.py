"""Points paid for an order: each payment with the method `points` is spent from the
customer's balance in the program it names (or the only live program in the order's
currency) inside the order's transaction, so an order is never stored without its payment
taken, nor a balance spent twice. A refund returns them pro rata and a cancellation all of
them (`returns.py`)."""

from collections.abc import Sequence
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.loyalty.errors import InsufficientPoints
from kizuna.loyalty.services.setup import Setup


def points_payments(order: Any, setups: Sequence[Setup]) -> dict[int, int]:
    """The points the order pays with, by program pk; refused when a payment names no live
    program or could mean several."""
    spends: dict[int, int] = {}
    for i, payment in enumerate(order.payments or []):
        if payment.get("method") != "points":
            continue
        field = f"payments[{i}].program_id"
        named = payment.get("program_id")
        if named is not None:
            found = [s.program for s in setups if s.program.key == named]
            if not found:
                raise ValidationFailed(
                    f"No active program has the id {named!r}.", code="unknown_program", field=field
                )
        else:
            found = [s.program for s in setups if s.program.currency == order.currency]
            if len(found) != 1:
                raise ValidationFailed(
                    "Name the program whose points pay: "
                    + (
                        f"no active program uses {order.currency}."
                        if not found
                        else f"several active programs use {order.currency}."
                    ),
                    code="program_required",
                    field=field,
                )
        program = found[0]
        spends[program.pk] = spends.get(program.pk, 0) + int(payment["points"])
    return spends


def not_a_member(program_key: str, points: int) -> InsufficientPoints:
    return InsufficientPoints(
        f"The customer is not a member of {program_key!r}: {points} points cannot be spent.",
        field="payments",
    )
