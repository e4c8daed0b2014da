"""Attribution: a referee tied to a referrer's code, at sign-up (`POST /referrals`) or with
the code on the first paid order (`metadata.referral_code`), once per referee and program.

The abuse checks run in a fixed order and a refusal is recorded, not thrown away: the
referral is stored `rejected` with its reason (self_referral, circular_referral,
duplicate_identity, existing_customer, cap_reached) and listed with the others. The
referrer's code row is locked first, so that two attributions to one referrer are counted
against the caps one after the other."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import KizunaError
from kizuna.core.ids import check_external_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.customers.services import timeline
from kizuna.customers.services.profiles import check_not_erased
from kizuna.loyalty.services.periods import period_start
from kizuna.orders.models import Order
from kizuna.referrals import events
from kizuna.referrals.errors import AlreadyReferred, AttributionNotAllowed, ProgramNotActive
from kizuna.referrals.locks import lock_code
from kizuna.referrals.models import (
    LIVE,
    Attribution,
    Channel,
    ProgramStatus,
    Referral,
    ReferralCode,
    ReferralProgram,
    ReferralStatus,
    RejectReason,
)
from kizuna.referrals.selectors import customer_of
from kizuna.referrals.services.codes import find_code

# Caps count referrals by the calendar periods of UTC.
CAP_TIMEZONE = "UTC"


def allows(program: ReferralProgram, channel: str) -> bool:
    return program.attribution in (Attribution.BOTH, channel)


def check_attributable(program: ReferralProgram, channel: str) -> None:
    if program.status != ProgramStatus.ACTIVE:
        raise ProgramNotActive(
            f"Referral program {program.key!r} is {program.status}.", field="code"
        )
    if not allows(program, channel):
        raise AttributionNotAllowed(
            f"Referral program {program.key!r} attributes referees at "
            f"{program.attribution.replace('_', ' ')} only.",
            field="code",
        )


def attribute(workspace: Workspace, data: Mapping[str, Any]) -> tuple[Referral, bool]:
    """`POST /referrals`: tie the customer to the code's owner. Returns (the referral, made
    now); the same code again returns the stored referral; another referrer's code for a
    customer already referred is 409 `already_referred`."""
    customer_id = check_external_id(data.get("customer_id"), "customer_id")
    code = find_code(workspace, data.get("code"))
    check_attributable(code.program, Channel.SIGNUP)
    referee = customer_of(workspace, customer_id)
    check_not_erased(referee, "customer_id")
    with transaction.atomic(savepoint=False):
        return _attribute(code, referee, Channel.SIGNUP, None)


def attribute_order(order: Order) -> Referral | None:
    """The code on a paid order's metadata (`referral_code`), if any, attributes the order's
    customer. A code that is unknown, of a paused program or of a program that does not
    attribute at the first order is ignored: it never fails the order."""
    metadata = order.metadata if isinstance(order.metadata, dict) else {}
    value = metadata.get("referral_code")
    if not isinstance(value, str):
        return None
    try:
        code = find_code(order.workspace_id, value)
        check_attributable(code.program, Channel.FIRST_ORDER)
    except KizunaError:
        return None
    if order.customer.erased_at is not None:
        return None
    try:
        referral, _ = _attribute(code, order.customer, Channel.FIRST_ORDER, order)
    except AlreadyReferred:
        return None
    return referral


def _live(program: ReferralProgram, referee: Customer) -> Referral | None:
    return one_or_none(Referral.objects.filter(program=program, referee=referee, status__in=LIVE))


def _attribute(
    code: ReferralCode, referee: Customer, channel: str, order: Order | None
) -> tuple[Referral, bool]:
    program = code.program
    lock_code(code.pk)
    live = _live(program, referee)
    if live is not None:
        return _same_referrer(live, code, referee), False
    reason = reject_reason(program, code, referee, order)
    row = Referral(
        workspace_id=program.workspace_id,
        program=program,
        code=code,
        referrer=code.customer,
        referee=referee,
        channel=channel,
        status=ReferralStatus.REJECTED if reason else ReferralStatus.PENDING,
        reason=reason,
        order_id=order.external_id if order is not None else "",
        attributed_at=now(),
    )
    if reason:
        row.save(force_insert=True)
    else:
        # Another referrer's code may attribute the same referee at the same moment (its
        # lock is another row): the partial unique constraint decides.
        row, created = insert_once(row, program=program, referee=referee, status__in=list(LIVE))
        if not created:
            return _same_referrer(row, code, referee), False
    row.program, row.code, row.referrer, row.referee = program, code, code.customer, referee
    _record(row)
    return row, True


def _same_referrer(live: Referral, code: ReferralCode, referee: Customer) -> Referral:
    """The referee's live referral, when it is the code owner's (a repeat of the same
    attribution); 409 `already_referred` when another customer referred them."""
    if live.referrer_id != code.customer_id:
        raise AlreadyReferred(
            "This customer was referred by another customer already.", field="customer_id"
        )
    live.program, live.code, live.referrer, live.referee = (
        code.program,
        code,
        code.customer,
        referee,
    )
    return live


def _identity(customer: Customer) -> tuple[str, str]:
    return customer.email.strip().lower(), customer.phone.strip()


def reject_reason(
    program: ReferralProgram, code: ReferralCode, referee: Customer, order: Order | None
) -> str:
    """Why the attribution is refused ('' when it is not), the first reason that holds."""
    referrer = code.customer
    if referee.pk == referrer.pk:
        return RejectReason.SELF_REFERRAL
    if Referral.objects.filter(
        program=program, referrer=referee, referee=referrer, status__in=LIVE
    ).exists():
        # Two customers referring each other: the referrer was referred by the referee.
        return RejectReason.CIRCULAR_REFERRAL
    if _duplicate_identity(program, referrer, referee):
        return RejectReason.DUPLICATE_IDENTITY
    # Orders placed by now: an order history loaded ahead (a replay, an import of the past)
    # does not count against an attribution made before those orders.
    orders = Order.objects.filter(customer=referee, occurred_at__lte=now())
    if order is not None:
        orders = orders.exclude(pk=order.pk)
    if orders.exists():
        return RejectReason.EXISTING_CUSTOMER
    if _cap_reached(program, referrer, now()):
        return RejectReason.CAP_REACHED
    return ""


def _duplicate_identity(program: ReferralProgram, referrer: Customer, referee: Customer) -> bool:
    """The referee's email or phone is the referrer's, or that of another customer referred
    in the program already: one person under two customer records."""
    email, phone = _identity(referee)
    if not email and not phone:
        return False
    theirs = _identity(referrer)
    if (email and email == theirs[0]) or (phone and phone == theirs[1]):
        return True
    same = Q()
    if email:
        same |= Q(referee__email__iexact=email)
    if phone:
        same |= Q(referee__phone=phone)
    return (
        Referral.objects.filter(program=program, status__in=LIVE)
        .filter(same)
        .exclude(referee=referee)
        .exists()
    )


def _cap_reached(program: ReferralProgram, referrer: Customer, moment: datetime) -> bool:
    """Whether a cap of the program is full for the referrer: its live referrals attributed
    in the current period (UTC), counted in one query for all caps."""
    if not program.caps:
        return False
    counts: dict[str, Any] = {}
    for cap in program.caps:
        start = period_start(cap["period"], moment, CAP_TIMEZONE)
        counts[cap["period"]] = Count(
            "pk", filter=Q() if start is None else Q(attributed_at__gte=start)
        )
    used = Referral.objects.filter(program=program, referrer=referrer, status__in=LIVE).aggregate(
        **counts
    )
    return any(used[cap["period"]] >= cap["times"] for cap in program.caps)


def _record(referral: Referral) -> None:
    """The timeline entries of both customers and the event, in the caller's transaction."""
    program = referral.program
    add_timeline(referral, referral.attributed_at)
    ids = {
        "referral_id": str(referral.pk),
        "program_id": program.key,
        "referrer_id": referral.referrer.external_id,
        "referee_id": referral.referee.external_id,
    }
    workspace = Workspace(pk=referral.workspace_id)
    if referral.status == ReferralStatus.REJECTED:
        outbox.emit(workspace, events.ReferralRejected(**ids, reason=referral.reason))
    else:
        outbox.emit(workspace, events.ReferralAttributed(**ids, channel=referral.channel))


def add_timeline(referral: Referral, moment: datetime) -> None:
    summary = {
        "referral_id": str(referral.pk),
        "program_id": referral.program.key,
        "status": referral.status,
        "reason": referral.reason,
    }
    entries = [
        timeline.entry_of(
            referral.workspace_id,
            referral.referrer_id,
            "referral",
            str(referral.pk),
            moment,
            {**summary, "role": "referrer"},
        )
    ]
    if referral.referee_id != referral.referrer_id:
        entries.append(
            timeline.entry_of(
                referral.workspace_id,
                referral.referee_id,
                "referral",
                str(referral.pk),
                moment,
                {**summary, "role": "referee"},
            )
        )
    timeline.bulk_add(entries)
