"""How many database queries each operation of the reward catalog, claims and the wallet
makes, pinned (kizuna/api/tests/test_query_counts.py explains the pins); lists and the
wallet cost the same at two sizes. A change that moves a count changes its pin here."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.api.tests.test_query_counts import Pin, _count
from kizuna.rewards.models import Claim
from kizuna.rewards.tests.support import claim, make_member, make_program, make_reward
from kizuna.rewards.tests.test_wallet import seed_wallet

pytestmark = pytest.mark.django_db

MUG: dict[str, Any] = {
    "id": "mug",
    "type": "material",
    "value": {"sku": "MUG-1"},
    "stock": 100,
    "cost_points": 10,
}

PINS: list[Pin] = [
    Pin("POST", "/rewards", "/rewards", 6, lambda: {**_body(), "id": "new"}),
    Pin("GET", "/rewards", "/rewards", 1, list_of="reward"),
    Pin("GET", "/rewards/{reward_id}", "/rewards/five-off", 1),
    Pin("PATCH", "/rewards/{reward_id}", "/rewards/five-off", 6, lambda: {"cost_points": 20}),
    Pin(
        "POST",
        "/customers/{customer_id}/rewards/{reward_id}/claim",
        "/customers/aiko/rewards/five-off/claim",
        18,
    ),
    Pin("GET", "/customers/{customer_id}/claims", "/customers/aiko/claims", 2, list_of="claim"),
    Pin("GET", "/customers/{customer_id}/wallet", "/customers/aiko/wallet", 4, list_of="claim"),
    Pin("GET", "/claims/{claim_id}", "/claims/{claim}", 1),
    Pin(
        "POST",
        "/claims/{claim_id}/fulfilment",
        "/claims/{mug-claim}/fulfilment",
        16,
        lambda: {"status": "cancelled"},
    ),
]


def _body() -> dict[str, Any]:
    return {
        "name": {"default": "5 off"},
        "program_id": "club",
        "type": "discount_amount",
        "value": {"amount": "5.00"},
        "cost_points": 10,
        "tier_costs": {"gold": 5},
    }


def _seed(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 10_000)
    make_member(api, "bo", 10_000)
    make_reward(api, cost_points=10, limits=[{"period": "day", "times": 1000}])
    make_reward(api, **MUG)
    seed_wallet(api, 1)
    assert claim(api, "aiko", "mug").status_code == 201


def _seed_more(api: ApiClient) -> None:
    for n in range(4):
        make_reward(api, id=f"more-{n}", cost_points=1)
    seed_wallet(api, 4)


def _path(pin: Pin) -> str:
    path = pin.path
    if "{claim}" in path:
        first = Claim.objects.filter(type="discount_amount").order_by("pk").first()
        assert first is not None
        path = path.replace("{claim}", first.public_id)
    if "{mug-claim}" in path:
        mug = Claim.objects.filter(type="material", state="ordered").order_by("pk").first()
        assert mug is not None
        path = path.replace("{mug-claim}", mug.public_id)
    return path


@pytest.mark.parametrize("pin", PINS, ids=lambda p: f"{p.method} {p.template}")
def test_queries_are_pinned(api: ApiClient, workspace: NewWorkspace, pin: Pin) -> None:
    _seed(api)
    assert _count(api, pin, _path(pin)) == pin.queries


@pytest.mark.parametrize("pin", [p for p in PINS if p.list_of], ids=lambda p: p.path)
def test_a_list_costs_the_same_whatever_its_length(
    api: ApiClient, workspace: NewWorkspace, pin: Pin
) -> None:
    _seed(api)
    few = _count(api, pin, _path(pin))
    _seed_more(api)
    assert _count(api, pin, _path(pin)) == few
