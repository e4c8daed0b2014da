"""Manual adjustments by staff (through a server key or the console), with a mandatory
reason and an audit entry; and spends, which redemptions use."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.customers.selectors import get_customer
from kizuna.loyalty.errors import InsufficientPoints, NotAMember
from kizuna.loyalty.locks import lock_account
from kizuna.loyalty.models import (
    REASON_MAX_LENGTH,
    Account,
    Enrolment,
    EntryType,
    LedgerEntry,
    Program,
)
from kizuna.loyalty.services import ledger, policies
from kizuna.loyalty.services.accounts import open_account
from kizuna.loyalty.services.ledger import Source
from kizuna.loyalty.services.programs import get_program

MAX_ADJUSTMENT = 10_000_000


def check_adjustment(data: Mapping[str, Any]) -> tuple[int, str, datetime | None]:
    points = data.get("points")
    if (
        isinstance(points, bool)
        or not isinstance(points, int)
        or points == 0
        or abs(points) > MAX_ADJUSTMENT
    ):
        raise ValidationFailed(
            f"points is a whole number, not 0, of at most {MAX_ADJUSTMENT:,} either way.",
            code="invalid_points",
            field="points",
        )
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            f"Every adjustment says why: a reason of 1 to {REASON_MAX_LENGTH} characters.",
            code="reason_required",
            field="reason",
        )
    expires_at = data.get("expires_at")
    if expires_at is not None and (not isinstance(expires_at, datetime) or expires_at <= now()):
        raise ValidationFailed(
            "expires_at is a time in the future.", code="invalid_expiry", field="expires_at"
        )
    if expires_at is not None and points < 0:
        raise ValidationFailed(
            "Only added points have an expiry.", code="invalid_expiry", field="expires_at"
        )
    return points, reason.strip(), None if expires_at is None else expires_at.astimezone(UTC)


def adjust(
    workspace: Workspace, customer_id: str, program_key: str, data: Mapping[str, Any], actor: Actor
) -> LedgerEntry:
    """Add or remove points by hand. Removing never takes the balance below zero."""
    points, reason, expires_at = check_adjustment(data)
    with transaction.atomic(savepoint=False):
        program = get_program(workspace, program_key)
        customer = get_customer(workspace, customer_id)
        account = lock_account(program, customer.pk)
        if account is None:
            if program.enrolment != Enrolment.AUTOMATIC:
                # Joining a program of explicit enrolment is the customer's own choice.
                raise NotAMember(
                    f"{customer_id!r} is not a member of {program_key!r}, whose members join "
                    "themselves.",
                    field="customer_id",
                )
            account, _ = open_account(program, customer)
        before = {"active": account.active, "pending": account.pending}
        if points > 0:
            expiry = expires_at or policies.expires_at(program.expiry, now(), program.timezone)
            entry = ledger.credit(
                account,
                EntryType.ADJUST,
                points,
                expires_at=expiry,
                reason=reason,
                source=Source("adjustment", actor.id),
            )
        else:
            if -points > account.active:
                raise InsufficientPoints(
                    f"The member has {max(account.active, 0)} active points; "
                    f"{-points} cannot be removed.",
                    field="points",
                )
            entry = ledger.debit(
                account,
                EntryType.ADJUST,
                -points,
                reason=reason,
                source=Source("adjustment", actor.id),
            )
        audit.record(
            workspace,
            actor,
            "points.adjusted",
            "loyalty_account",
            f"{program.key}/{customer.external_id}",
            before=before,
            after={"active": account.active, "pending": account.pending, "points": points},
            reason=reason,
        )
    return entry


def spend(
    program: Program,
    account: Account,
    points: int,
    source: Source,
    reason: str = "",
    field: str = "points",
) -> LedgerEntry:
    """Spend points of an account its caller locked; never more than its active balance."""
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValidationFailed(
            "points is a positive whole number.", code="invalid_points", field="points"
        )
    if points > account.active:
        raise InsufficientPoints(
            f"The member has {max(account.active, 0)} active points; {points} are needed.",
            field=field,
        )
    entry = ledger.debit(account, EntryType.SPEND, points, reason=reason, source=source)
    if policies.resets_on_activity(program.expiry):
        ledger.reset_expiry(account, policies.expires_at(program.expiry, now(), program.timezone))
    return entry


def member(workspace: Workspace, customer_id: str, program_key: str) -> tuple[Program, Account]:
    """The customer's account in the program, locked (404 when not a member)."""
    program = get_program(workspace, program_key)
    customer = get_customer(workspace, customer_id)
    account = lock_account(program, customer.pk)
    if account is None:
        raise NotAMember(
            f"{customer_id!r} is not a member of {program_key!r}.", field="customer_id"
        )
    return program, account
