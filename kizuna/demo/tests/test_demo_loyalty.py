"""The demo's loyalty program: five rules, three tiers, two milestones, and a year of ledger
history replayed through the loyalty services, which verify_ledger accepts."""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client

from kizuna.core.models import OutboxEvent, Workspace
from kizuna.demo.loyalty import PROGRAM_ID
from kizuna.loyalty.models import (
    Account,
    EarningRule,
    LedgerEntry,
    Milestone,
    MilestoneAward,
    PointLot,
    Program,
    Tier,
    TierChange,
)
from kizuna.loyalty.services.verify import verify

pytestmark = pytest.mark.django_db

SIZE = 150


@pytest.fixture
def workspace(db: None) -> Workspace:
    out = io.StringIO()
    call_command("load_demo", "--customers", str(SIZE), stdout=out)
    assert "loyalty history" in out.getvalue()
    return Workspace.objects.get(slug="kizuna-demo")


def test_the_program_is_set_up_as_a_marketer_would(workspace: Workspace) -> None:
    program = Program.objects.get(workspace=workspace, key=PROGRAM_ID)
    assert program.status == "active"
    assert EarningRule.objects.filter(program=program).count() == 5
    assert Tier.objects.filter(program=program).count() == 3
    assert Milestone.objects.filter(program=program).count() == 2


def test_the_history_is_a_ledger_verify_ledger_accepts(workspace: Workspace) -> None:
    assert verify() == []
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "agree" in out.getvalue()
    program = Program.objects.get(workspace=workspace, key=PROGRAM_ID)
    accounts = Account.objects.filter(program=program)
    members = accounts.count()
    assert members > 10
    # Members are the US shop's customers.
    zones = set(accounts.values_list("customer__timezone", flat=True))
    assert zones and all(zone.startswith(("America/", "Pacific/")) for zone in zones), zones
    types = Counter(
        LedgerEntry.objects.filter(account__program=program).values_list("type", flat=True)
    )
    for kind in ("earn", "pending", "activate", "expire", "refund_clawback"):
        assert types[kind] > 0, (kind, types)
    # The year shows on the balances: pending points of recent orders, expiring ones, tiers
    # reached and milestones achieved.
    assert PointLot.objects.filter(account__program=program, pending=True).exists()
    assert PointLot.objects.filter(
        account__program=program, pending=False, remaining__gt=0, expires_at__isnull=False
    ).exists()
    assert TierChange.objects.filter(account__program=program).exists()
    assert MilestoneAward.objects.filter(account__program=program).exists()
    assert not OutboxEvent.objects.filter(workspace=workspace, type__startswith="loyalty.")


def test_the_api_shows_a_member_balance_tier_and_expiring_points(workspace: Workspace) -> None:
    from kizuna.accounts.models import ApiKey
    from kizuna.accounts.services import issue_api_key

    key = issue_api_key(workspace, ApiKey.Kind.SERVER, name="test").secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    account = (
        Account.objects.filter(program__key=PROGRAM_ID, active__gt=0)
        .select_related("customer")
        .order_by("-lifetime_earned")
        .first()
    )
    assert account is not None
    response = client.get(f"/api/v1/customers/{account.customer.external_id}/loyalty")
    assert response.status_code == 200
    (entry,) = response.json()["data"]
    assert entry["program_id"] == PROGRAM_ID
    assert entry["points"]["active"] == account.active > 0
    assert entry["tier"] is not None
    transactions = client.get(
        f"/api/v1/customers/{account.customer.external_id}/loyalty/{PROGRAM_ID}/transactions"
    )
    assert transactions.status_code == 200 and transactions.json()["data"]
