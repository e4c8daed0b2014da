"""Referral programs: created, read, listed, changed; every bad body refused with its code
and field, and nothing written."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.referrals.tests.support import CLUB, WELCOME, program_body, setup, state

pytestmark = pytest.mark.django_db


def test_a_program_is_created_read_listed_and_audited(api: ApiClient) -> None:
    created = setup(api)
    assert created["id"] == "friends"
    assert created["status"] == "active"
    assert created["loyalty_program_id"] == "club"
    assert created["referrer_reward"] == {"type": "points", "points": 500}
    assert created["referee_reward"] == {"type": "voucher", "campaign_id": "welcome"}
    assert created["conversion"] == {
        "type": "first_order",
        "min_total": "20.00",
        "currency": "USD",
    }
    assert created["caps"] == [{"period": "month", "times": 3}]
    assert created["code"] == {"prefix": "FRIEND-", "length": 8}
    assert api.get("/referral-programs/friends").data == created
    listed = api.get("/referral-programs").data
    assert [p["id"] for p in listed["data"]] == ["friends"]
    assert AuditEntry.objects.filter(action="referral_program.created").count() == 1


def test_defaults_and_a_generated_id(api: ApiClient) -> None:
    body = {"name": "Plain", "conversion": {"type": "event", "event": "subscribed"}}
    response = api.post("/referral-programs", body)
    assert response.status_code == 201, response.data
    assert response.data["id"].startswith("referral-")
    assert response.data["attribution"] == "both"
    assert response.data["caps"] == []
    assert response.data["code"] == {"prefix": "", "length": 8}
    assert response.data["referrer_reward"] is None


def test_a_second_program_with_the_id_is_a_conflict(api: ApiClient) -> None:
    setup(api)
    before = state()
    response = api.post("/referral-programs", program_body())
    assert response.status_code == 409
    assert response.data["code"] == "referral_program_exists"
    assert state() == before


def test_a_change_is_audited_and_an_unchanged_patch_is_not(api: ApiClient) -> None:
    setup(api)
    response = api.patch(
        "/referral-programs/friends",
        {"status": "paused", "referee_reward": None, "caps": [{"period": "day", "times": 1}]},
    )
    assert response.status_code == 200, response.data
    assert response.data["status"] == "paused"
    assert response.data["referee_reward"] is None
    assert response.data["caps"] == [{"period": "day", "times": 1}]
    assert api.patch("/referral-programs/friends", {"status": "paused"}).status_code == 200
    assert AuditEntry.objects.filter(action="referral_program.updated").count() == 1


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"name": " "}, "invalid_name", "name"),
    ({"referrer_reward": {"type": "cash"}}, "invalid_reward", "referrer_reward.type"),
    (
        {"referrer_reward": {"type": "points", "points": 0}},
        "invalid_points",
        "referrer_reward.points",
    ),
    (
        {"referrer_reward": {"type": "points", "points": 5, "extra": 1}},
        "invalid_reward",
        "referrer_reward.extra",
    ),
    (
        {"referee_reward": {"type": "voucher", "campaign_id": "nope"}},
        "invalid_reward",
        "referee_reward.campaign_id",
    ),
    ({"loyalty_program_id": None}, "invalid_reward", "loyalty_program_id"),
    ({"loyalty_program_id": "nope"}, "program_not_found", "loyalty_program_id"),
    ({"conversion": {"type": "signup"}}, "invalid_conversion", "conversion.type"),
    ({"conversion": {"type": "event", "event": "1bad"}}, "invalid_conversion", "conversion.event"),
    (
        {"conversion": {"type": "first_order", "min_total": "20.00"}},
        "invalid_currency",
        "conversion.currency",
    ),
    (
        {"conversion": {"type": "first_order", "min_total": "-1", "currency": "USD"}},
        "negative_amount",
        "conversion.min_total",
    ),
    ({"caps": [{"period": "fortnight", "times": 2}]}, "invalid_caps", "caps[0].period"),
    ({"caps": [{"period": "day", "times": 0}]}, "invalid_caps", "caps[0].times"),
    (
        {"caps": [{"period": "day", "times": 1}, {"period": "day", "times": 2}]},
        "invalid_caps",
        "caps[1].period",
    ),
    ({"code": {"length": 2}}, "invalid_code_spec", "code.length"),
    ({"code": {"pattern": "####"}}, "invalid_code_spec", "code.pattern"),
    ({"code": {"prefix": "é"}}, "invalid_code_spec", "code.prefix"),
]


@pytest.mark.parametrize(("change", "code", "field"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_a_bad_program_is_refused_and_changes_nothing(
    api: ApiClient, change: dict[str, Any], code: str, field: str
) -> None:
    assert api.post("/programs", CLUB).status_code == 201
    assert api.post("/voucher-campaigns", WELCOME).status_code == 201
    before = state()
    response = api.post("/referral-programs", program_body(**change))
    assert response.status_code == 422, response.data
    assert (response.data["code"], response.data["field"]) == (code, field)
    assert state() == before


def test_a_bad_change_is_refused_and_changes_nothing(api: ApiClient) -> None:
    setup(api)
    before = state()
    response = api.patch("/referral-programs/friends", {"loyalty_program_id": None})
    assert response.status_code == 422
    assert response.data["code"] == "invalid_reward"
    response = api.patch("/referral-programs/friends", {"name": None})
    assert response.status_code == 422
    assert state() == before


def test_another_workspace_sees_nothing(api: ApiClient, other_api: ApiClient) -> None:
    setup(api)
    assert other_api.get("/referral-programs/friends").status_code == 404
    assert other_api.get("/referral-programs").data["data"] == []
    response = other_api.patch("/referral-programs/friends", {"name": "Mine"})
    assert response.status_code == 404
    assert response.data["code"] == "referral_program_not_found"


def test_a_reward_missing_from_the_catalog_is_refused(api: ApiClient) -> None:
    assert api.post("/programs", CLUB).status_code == 201
    before = state()
    body = program_body(referee_reward={"type": "reward", "reward_id": "coffee"})
    response = api.post("/referral-programs", body)
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == (
        "invalid_reward",
        "referee_reward.reward_id",
    )
    assert state() == before
