"""Points granted by another app for something the customer did outside an order or an
event (a referral that converted): a credit with its source, written by loyalty, the only
writer of the ledger. The caller runs it inside its own transaction."""

from django.db import transaction

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.customers.models import Customer
from kizuna.loyalty.models import EntryType, LedgerEntry, Program, ProgramStatus
from kizuna.loyalty.services import ledger, policies
from kizuna.loyalty.services.accounts import account_for_fact
from kizuna.loyalty.services.ledger import Source

MAX_GRANT = 10_000_000


def check_grant(points: object) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_GRANT:
        raise ValidationFailed(
            f"points is a whole number from 1 to {MAX_GRANT:,}.",
            code="invalid_points",
            field="points",
        )
    return points


def grant_points(
    program: Program, customer: Customer, points: int, source: Source, reason: str
) -> LedgerEntry | None:
    """Credit `points` (active at once, expiring under the program's policy) to the
    customer's account, opened under automatic enrolment. None, and nothing written, when the
    program is not active or the customer has not joined a program of explicit enrolment."""
    points = check_grant(points)
    if program.status != ProgramStatus.ACTIVE:
        return None
    with transaction.atomic(savepoint=False):
        account = account_for_fact(program, customer)
        if account is None:
            return None
        return ledger.credit(
            account,
            EntryType.EARN,
            points,
            expires_at=policies.expires_at(program.expiry, now(), program.timezone),
            reason=reason,
            source=source,
        )
