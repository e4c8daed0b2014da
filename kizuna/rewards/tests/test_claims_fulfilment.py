"""A material reward's fulfilment: ordered -> shipped -> delivered, or cancelled with the
points returned through the ledger (to the lots they came from), the stock and the limit
given back, once however often it is asked. And grants: rewards issued without points."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.loyalty.models import LedgerEntry
from kizuna.loyalty.services.verify import verify
from kizuna.rewards.errors import OutOfStock, RewardNotAvailable
from kizuna.rewards.models import Claim
from kizuna.rewards.services.claims import grant
from kizuna.rewards.tests.support import (
    balance,
    claim,
    make_member,
    make_program,
    make_reward,
    state,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def program(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 1000)
    make_reward(
        api,
        id="mug",
        type="material",
        value={"sku": "MUG-1"},
        stock=3,
        cost_points=400,
        limits=[{"period": "all_time", "times": 1}],
    )


def move(api: ApiClient, claim_id: str, **body: str) -> dict[str, object]:
    response = api.post(f"/claims/{claim_id}/fulfilment", body)
    assert response.status_code == 200, response.data
    return dict(response.data)


def test_ordered_shipped_delivered(api: ApiClient) -> None:
    claim_id = claim(api, "aiko", "mug").data["claim_id"]
    shipped = move(api, claim_id, status="shipped", tracking="JP123")
    assert shipped["state"] == "shipped"
    assert shipped["fulfilment"]["tracking"] == "JP123"  # type: ignore[index]
    assert shipped["fulfilment"]["shipped_at"] is not None  # type: ignore[index]
    delivered = move(api, claim_id, status="delivered")
    assert delivered["fulfilment"]["delivered_at"] is not None  # type: ignore[index]
    before = state()
    for status in ("cancelled", "shipped"):
        response = api.post(f"/claims/{claim_id}/fulfilment", {"status": status})
        assert (response.status_code, response.data["code"]) == (
            409,
            "invalid_fulfilment_transition",
        )
    assert state() == before
    assert AuditEntry.objects.filter(action="reward_claim.fulfilment_changed").count() == 2
    assert OutboxEvent.objects.filter(type="reward_claim.fulfilment_changed").count() == 2
    assert balance(api, "aiko") == 600


def test_a_cancel_returns_points_stock_and_limit_once(api: ApiClient) -> None:
    claim_id = claim(api, "aiko", "mug").data["claim_id"]
    assert balance(api, "aiko") == 600
    assert claim(api, "aiko", "mug").data["code"] == "claim_limit_reached"
    move(api, claim_id, status="shipped")
    cancelled = move(api, claim_id, status="cancelled", reason="lost in the post")
    assert (cancelled["state"], cancelled["points_returned"]) == ("cancelled", 400)
    assert balance(api, "aiko") == 1000
    [rollback] = LedgerEntry.objects.filter(type="rollback")
    assert (rollback.points, rollback.source_type, rollback.source_id) == (
        400,
        "reward_claim",
        claim_id,
    )
    assert api.get("/rewards/mug").data["stock"] == 3
    # Asked again: nothing more.
    before = state()
    assert move(api, claim_id, status="cancelled")["points_returned"] == 400
    assert state() == before
    assert verify() == []
    # The limit counts it no more: the customer may claim again.
    assert claim(api, "aiko", "mug").status_code == 201


def test_only_material_claims_have_a_fulfilment(api: ApiClient) -> None:
    make_reward(api, cost_points=10)
    claim_id = claim(api, "aiko", "five-off").data["claim_id"]
    before = state()
    response = api.post(f"/claims/{claim_id}/fulfilment", {"status": "shipped"})
    assert (response.status_code, response.data["code"]) == (422, "not_a_material_claim")
    response = api.post(f"/claims/{claim_id}/fulfilment", {"status": "ordered"})
    assert (response.status_code, response.data["field"]) == (422, "status")
    assert api.post("/claims/clm_nope/fulfilment", {"status": "shipped"}).status_code == 404
    assert state() == before


@dataclass(frozen=True)
class Referral:
    type: str
    id: str


def test_a_grant_spends_nothing_and_happens_once_per_source(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    from kizuna.customers.models import Customer

    make_reward(api, cost_points=500)
    ws = workspace.workspace
    aiko = Customer.objects.get(external_id="aiko")
    first = grant(ws, aiko, "five-off", Referral("referral", "ref-1"))
    again = grant(ws, aiko, "five-off", Referral("referral", "ref-1"))
    other = grant(ws, aiko, "five-off", Referral("referral", "ref-2"))
    assert first.pk == again.pk != other.pk
    assert (first.points_spent, first.state) == (0, "issued")
    assert balance(api, "aiko") == 1000
    data = api.get(f"/claims/{first.public_id}").data
    assert data["source"] == {"type": "referral", "id": "ref-1"}
    assert data["issued"]["code"]
    # A granted mug takes stock; a cancel returns it and no points.
    mug = grant(ws, aiko, "mug", Referral("survey_response", "r-1"))
    assert api.get("/rewards/mug").data["stock"] == 2
    assert move(api, mug.public_id, status="cancelled")["points_returned"] == 0
    assert api.get("/rewards/mug").data["stock"] == 3
    assert Claim.objects.count() == 3
    assert not LedgerEntry.objects.filter(type__in=["spend", "rollback"]).exists()


def test_a_grant_of_an_inactive_or_empty_reward_is_refused(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    from kizuna.customers.models import Customer

    ws = workspace.workspace
    aiko = Customer.objects.get(external_id="aiko")
    make_reward(api, id="gone", stock=0)
    make_reward(api, id="off", status="inactive")
    before = state()
    # The caller's transaction (a referral's conversion) rolls back with it.
    with pytest.raises(OutOfStock), transaction.atomic():
        grant(ws, aiko, "gone", Referral("referral", "ref-1"))
    with pytest.raises(RewardNotAvailable), transaction.atomic():
        grant(ws, aiko, "off", Referral("referral", "ref-1"))
    assert state() == before
