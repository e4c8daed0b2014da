"""The rewards of a converted referral, for the referee and then the referrer (the order in
which the referee's order or event has locked their loyalty accounts already): points
through kizuna.loyalty, a voucher code through kizuna.vouchers, a reward of the catalog
through kizuna.rewards. Each grant is recorded on the referral as it went:
{"role", "type", ..., "status": "granted" | "skipped", "reason"?}.

A grant that cannot be made (a customer erased or not a member of a program of explicit
enrolment, a loyalty program that is not active, a campaign whose codes ran out) is recorded
`skipped` with its reason; it never fails the order or the event that converted the
referral."""

from typing import Any

from kizuna.core.errors import KizunaError
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.loyalty.models import ProgramStatus
from kizuna.loyalty.services.grants import grant_points
from kizuna.loyalty.services.ledger import Source
from kizuna.referrals.models import Referral
from kizuna.rewards.services import claims
from kizuna.vouchers.models import Campaign
from kizuna.vouchers.services.issuing import issue_code


def grant_rewards(referral: Referral) -> list[dict[str, Any]]:
    program = referral.program
    granted = []
    for role, customer, reward in (
        ("referee", referral.referee, program.referee_reward),
        ("referrer", referral.referrer, program.referrer_reward),
    ):
        if reward is not None:
            granted.append({"role": role, **_grant(referral, customer, reward)})
    return granted


def _grant(referral: Referral, customer: Customer, reward: dict[str, Any]) -> dict[str, Any]:
    kind = reward["type"]
    out: dict[str, Any] = {key: value for key, value in reward.items()}
    if customer.erased_at is not None:
        return {**out, "status": "skipped", "reason": "customer_erased"}
    source = Source("referral", str(referral.pk))
    try:
        if kind == "points":
            return {**out, **_points(referral, customer, reward["points"], source)}
        if kind == "voucher":
            return {**out, **_voucher(referral, customer, reward["campaign_id"])}
        return {**out, **grant_reward(referral, customer, reward["reward_id"], source)}
    except KizunaError as exc:
        return {**out, "status": "skipped", "reason": exc.code}


def _points(referral: Referral, customer: Customer, points: int, source: Source) -> dict[str, Any]:
    loyalty = referral.program.loyalty_program
    if loyalty is None:
        return {"status": "skipped", "reason": "no_loyalty_program"}
    if loyalty.status != ProgramStatus.ACTIVE:
        return {"program_id": loyalty.key, "status": "skipped", "reason": "program_not_active"}
    entry = grant_points(loyalty, customer, points, source, f"Referral {referral.pk} converted")
    if entry is None:
        return {"program_id": loyalty.key, "status": "skipped", "reason": "not_a_member"}
    return {"program_id": loyalty.key, "status": "granted", "transaction_id": str(entry.pk)}


def _voucher(referral: Referral, customer: Customer, campaign_key: str) -> dict[str, Any]:
    campaign = one_or_none(
        Campaign.objects.for_workspace(referral.workspace_id).filter(key=campaign_key)
    )
    if campaign is None:
        return {"status": "skipped", "reason": "voucher_campaign_not_found"}
    voucher = issue_code(campaign, customer)
    return {"status": "granted", "code": voucher.code}


def grant_reward(
    referral: Referral, customer: Customer, reward_key: str, source: Source
) -> dict[str, Any]:
    """A reward of the catalog, issued without points (once per referral and reward)."""
    claim = claims.grant(Workspace(pk=referral.workspace_id), customer, reward_key, source)
    return {"status": "granted", "claim_id": claim.public_id}
