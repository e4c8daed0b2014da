"""Points granted by another app for something the customer did outside an order or an
event (a referral that converted): a credit with its source, written by loyalty, the only
writer of the ledger. The caller runs it inside its own transaction."""

from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.loyalty import events
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
    customer's account, opened under automatic enrolment, and announce them as earned
    (`loyalty.points_earned`, with the caller's source). None, and nothing written, when the
    program is not active or the customer has not joined a program of explicit enrolment."""
    points = check_grant(points)
    if program.status != ProgramStatus.ACTIVE:
        return None
    with transaction.atomic(savepoint=False):
        account = account_for_fact(program, customer)
        if account is None:
            return None
        expires_at = policies.expires_at(program.expiry, now(), program.timezone)
        entry = ledger.credit(
            account, EntryType.EARN, points, expires_at=expires_at, reason=reason, source=source
        )
        if policies.resets_on_activity(program.expiry):
            ledger.reset_expiry(account, expires_at)
        outbox.emit(
            Workspace(pk=program.workspace_id),
            events.PointsEarned(
                program_id=program.key,
                customer_id=customer.external_id,
                points=points,
                pending=False,
                source_type=source.type,
                source_id=source.id,
                balance=account.active,
            ),
        )
        return entry
