"""Reservations (docs/checkout.md, Holds): a redemption made with `reserve_for` holds what its
lines need until it is confirmed (the holds become uses), rolled back, or expires (the job
`checkout_release_holds` lets the holds go)."""

from django.db import transaction

from kizuna.core import audit
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.models import Workspace
from kizuna.rewards import redeemables, redemption_events
from kizuna.rewards.models import Redemption, RedemptionLine
from kizuna.rewards.models.redemptions import LineState, RedemptionStatus
from kizuna.rewards.redemption_errors import NotReserved
from kizuna.rewards.redemption_locks import lock_redemptions
from kizuna.rewards.services.redemptions import get_redemption, lines_of, locked

BATCH = 200


def _release(redemption: Redemption) -> None:
    for line in lines_of(redemption):
        if line.state != LineState.HELD:
            continue
        kind = redeemables.kind(line.type)
        assert kind is not None
        kind.release(line)
        RedemptionLine.objects.filter(pk=line.pk).update(state=LineState.RELEASED)
    redemption.status = RedemptionStatus.RELEASED
    redemption.released_at = now()
    redemption.save(update_fields=["status", "released_at"])
    outbox.emit(
        redemption.workspace,
        redemption_events.RedemptionReleased(**redemption_events.payload(redemption)),
    )


def confirm(workspace: Workspace, public_id: str, actor: Actor) -> Redemption:
    """The holds become uses. Confirming a redeemed redemption again changes nothing; one
    that was released or rolled back, or whose hold has expired (the job lets it go), answers
    409 `redemption_not_reserved`."""
    with transaction.atomic(savepoint=False):
        redemption = locked(workspace, public_id)
        if redemption.status == RedemptionStatus.RESERVED:
            if redemption.expires_at is not None and redemption.expires_at <= now():
                raise NotReserved("The reservation has expired; its holds are let go.")
            for line in lines_of(redemption):
                kind = redeemables.kind(line.type)
                assert kind is not None
                if line.state == LineState.HELD:
                    kind.confirm(line)
                    RedemptionLine.objects.filter(pk=line.pk).update(state=LineState.USED)
            redemption.status = RedemptionStatus.REDEEMED
            redemption.confirmed_at = now()
            redemption.save(update_fields=["status", "confirmed_at"])
            outbox.emit(
                workspace,
                redemption_events.RedemptionConfirmed(**redemption_events.payload(redemption)),
            )
            audit.record(
                workspace,
                actor,
                "redemption.confirmed",
                "redemption",
                public_id,
                before={"status": "reserved"},
                after={"status": "redeemed"},
            )
    if redemption.status != RedemptionStatus.REDEEMED:
        raise NotReserved(f"The redemption is {redemption.status}, not reserved.")
    return get_redemption(workspace, public_id)


def release_expired(limit: int = BATCH) -> int:
    """Let go of the holds of reservations whose time has passed, each in its own
    transaction; returns how many."""
    due = list(
        Redemption.objects.filter(status=RedemptionStatus.RESERVED, expires_at__lte=now())
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    released = 0
    for pk in due:
        with transaction.atomic():
            for redemption in lock_redemptions([pk]):
                if redemption.status != RedemptionStatus.RESERVED:
                    continue
                if redemption.expires_at is None or redemption.expires_at > now():
                    continue
                _release(redemption)
                released += 1
    return released
