"""The demo's rewards, vouchers, gift cards and referrals: a catalog set up as a marketer
would, and a year of claims, fulfilments, gift cards and referrals lived through the loyalty
history, whose ledgers verify_ledger accepts."""

import io
from collections import Counter

from django.core.management import call_command

from kizuna.core.models import OutboxEvent, Workspace
from kizuna.demo.rewards import REWARDS
from kizuna.loyalty.models import LedgerEntry
from kizuna.loyalty.services.verify import verify
from kizuna.referrals.models import Referral
from kizuna.rewards.models import Claim, Redemption, Reward
from kizuna.vouchers.models import GiftCard, GiftCardEntry, Voucher

SIZE = 150


def test_the_demo_lives_a_year_of_rewards(db: None) -> None:
    """One load (a demo load takes most of a minute), every part of the rewards' year."""
    out = io.StringIO()
    call_command("load_demo", "--customers", str(SIZE), stdout=out)
    assert "rewards claimed" in out.getvalue(), out.getvalue()
    workspace = Workspace.objects.get(slug="kizuna-demo")
    _catalog_claimed_through_the_ledger(workspace)
    _tumblers_ship_and_gift_cards_hold_value(workspace)
    _friends_are_referred_and_rewarded(workspace)
    _claims_and_gift_cards_redeemed_at_the_checkout(workspace)


def _catalog_claimed_through_the_ledger(workspace: Workspace) -> None:
    rewards = Reward.objects.for_workspace(workspace)
    assert sorted(rewards.values_list("key", flat=True)) == sorted(r["id"] for r in REWARDS)
    claims = list(Claim.objects.for_workspace(workspace).select_related("spend_entry"))
    assert len(claims) >= 5
    assert len({c.type for c in claims}) >= 3
    for claim in claims:
        # Every claim spent its price from the ledger, at the moment it was claimed.
        assert claim.points_spent > 0 and claim.spend_entry is not None
        assert claim.spend_entry.points == -claim.points_spent
        assert claim.spend_entry.type == "spend"
        assert claim.spend_entry.occurred_at == claim.created_at
    spends = LedgerEntry.objects.filter(account__program__workspace=workspace, type="spend")
    assert spends.count() >= len(claims)
    assert verify() == []
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "agree" in out.getvalue()


def _tumblers_ship_and_gift_cards_hold_value(workspace: Workspace) -> None:
    states = Counter(
        Claim.objects.for_workspace(workspace)
        .filter(type="material")
        .values_list("state", flat=True)
    )
    assert set(states) <= {"ordered", "shipped", "delivered"}
    cards = GiftCard.objects.for_workspace(workspace).filter(customer__isnull=False)
    assert cards.exists()
    assert all(card.balance >= 0 for card in cards)


def _friends_are_referred_and_rewarded(workspace: Workspace) -> None:
    referrals = list(Referral.objects.for_workspace(workspace))
    assert referrals
    converted = [r for r in referrals if r.status == "converted"]
    assert converted
    for referral in converted:
        referee, referrer = referral.rewards
        assert (referee["type"], referee["status"]) == ("voucher", "granted")
        assert (referrer["type"], referrer["status"]) == ("points", "granted")
        code = Voucher.objects.get(code=referee["code"])
        assert code.customer_id == referral.referee_id
    assert not OutboxEvent.objects.filter(workspace=workspace).filter(type__startswith="referral.")
    assert not OutboxEvent.objects.filter(workspace=workspace, type__startswith="reward")


def _claims_and_gift_cards_redeemed_at_the_checkout(workspace: Workspace) -> None:
    redemptions = list(Redemption.objects.for_workspace(workspace).prefetch_related("lines"))
    assert redemptions
    assert {r.status for r in redemptions} == {"redeemed"}
    kinds = Counter(line.type for r in redemptions for line in r.lines.all())
    assert kinds["reward"] > 0 and kinds["gift_card"] > 0, kinds
    used = Claim.objects.for_workspace(workspace).filter(state="used")
    assert used.count() == kinds["reward"]
    for claim in used:
        assert claim.order_external_id and claim.redemption_id
    spent = GiftCardEntry.objects.for_workspace(workspace).filter(type="spend")
    assert spent.count() == kinds["gift_card"]
    assert all(entry.source_type == "redemption" for entry in spent)
