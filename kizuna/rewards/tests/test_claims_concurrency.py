"""Races on PostgreSQL, real threads each with its own connection, released together:
concurrent claims never take more than a reward's stock, a customer's limit or balance, and
a material claim cancelled at once returns its points once."""

from collections import Counter

from conftest import POSTGRES_ONLY, ApiClient, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.loyalty.models import LedgerEntry
from kizuna.loyalty.services.verify import verify
from kizuna.rewards.models import Claim, ClaimCount
from kizuna.rewards.tests.support import balance, claim, make_member, make_program, make_reward

pytestmark = POSTGRES_ONLY
CLAIM = "/customers/{}/rewards/{}/claim"


def outcome(responses: list[object]) -> Counter[object]:
    return Counter(
        r.status_code if r.status_code < 300 else r.json()["code"]  # type: ignore[attr-defined]
        for r in responses
    )


def test_twenty_claims_of_a_stock_of_five_take_five(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    for n in range(20):
        make_member(api, f"c-{n}", 500)
    make_reward(api, id="mug", type="material", value={"sku": "MUG-1"}, stock=5, cost_points=100)
    responses = send_together(
        workspace.server_key, [("POST", CLAIM.format(f"c-{n}", "mug"), None) for n in range(20)]
    )
    assert outcome(responses) == Counter({201: 5, "out_of_stock": 15})
    reward = api.get("/rewards/mug").data
    assert (reward["stock"], reward["claimed"]) == (0, 5)
    assert Claim.objects.count() == 5
    assert LedgerEntry.objects.filter(type="spend").count() == 5
    assert sorted(balance(api, f"c-{n}") for n in range(20)) == [400] * 5 + [500] * 15
    assert verify() == []


def test_one_customer_claiming_at_once_stays_within_the_limit(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    make_member(api, "aiko", 10_000)
    make_reward(api, cost_points=100, limits=[{"period": "day", "times": 3}])
    responses = send_together(
        workspace.server_key, [("POST", CLAIM.format("aiko", "five-off"), None)] * 12
    )
    assert outcome(responses) == Counter({201: 3, "claim_limit_reached": 9})
    assert Claim.objects.count() == 3
    assert ClaimCount.objects.get().count == 3
    assert balance(api, "aiko") == 9_700
    assert verify() == []


def test_one_customer_claiming_at_once_never_spends_more_than_the_balance(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    make_member(api, "aiko", 450)
    make_reward(api, cost_points=100)
    responses = send_together(
        workspace.server_key, [("POST", CLAIM.format("aiko", "five-off"), None)] * 10
    )
    assert outcome(responses) == Counter({201: 4, "insufficient_points": 6})
    assert balance(api, "aiko") == 50
    assert LedgerEntry.objects.filter(type="spend").count() == 4
    assert verify() == []


def test_a_material_claim_cancelled_at_once_returns_its_points_once(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    make_member(api, "aiko", 1000)
    make_reward(api, id="mug", type="material", value={"sku": "MUG-1"}, stock=5, cost_points=400)
    claim_id = claim(api, "aiko", "mug").data["claim_id"]
    assert balance(api, "aiko") == 600
    responses = send_together(
        workspace.server_key,
        [("POST", f"/claims/{claim_id}/fulfilment", {"status": "cancelled"})] * 8,
    )
    assert {r.status_code for r in responses} == {200}
    assert balance(api, "aiko") == 1000
    assert LedgerEntry.objects.filter(type="rollback").count() == 1
    assert api.get("/rewards/mug").data["stock"] == 5
    assert verify() == []
