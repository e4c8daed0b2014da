"""Attribution at sign-up (`POST /referrals`) and at the first order (`metadata.referral_code`),
and the abuse checks: each reason recorded on a rejected referral, which is listed too."""

import pytest

from conftest import ApiClient
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import TimelineEntry
from kizuna.referrals.models import Referral
from kizuna.referrals.tests.support import (
    code_of,
    make_customer,
    order,
    refer,
    referrals_of,
    setup,
    state,
)

pytestmark = pytest.mark.django_db


def _pair(api: ApiClient, **overrides: object) -> str:
    setup(api, **overrides)
    make_customer(api, "ann")
    make_customer(api, "bob")
    return code_of(api, "ann")


def test_a_sign_up_with_a_code_is_attributed_and_listed_for_both(api: ApiClient) -> None:
    code = _pair(api)
    response = refer(api, code, "bob")
    assert response.status_code == 201, response.data
    referral = response.data
    assert referral["status"] == "pending"
    assert referral["channel"] == "signup"
    assert (referral["referrer_id"], referral["referee_id"]) == ("ann", "bob")
    assert referral["reason"] is None
    assert referral["rewards"] == []
    assert referral["conversion"] is None
    assert referrals_of(api, "ann") == [referral]
    assert referrals_of(api, "bob") == [referral]
    assert referrals_of(api, "ann", "?role=referee") == []
    assert OutboxEvent.objects.filter(type="referral.attributed").count() == 1
    kinds = TimelineEntry.objects.filter(kind="referral").values_list("summary", flat=True)
    assert sorted(summary["role"] for summary in kinds) == ["referee", "referrer"]
    entries = api.get("/customers/bob/timeline").data["data"]
    assert [(e["kind"], e["summary"]["status"]) for e in entries] == [("referral", "pending")]


def test_codes_are_compared_without_case_or_spaces(api: ApiClient) -> None:
    code = _pair(api)
    spaced = f" {code[:4].lower()} {code[4:].lower()} "
    response = refer(api, spaced, "bob")
    assert response.status_code == 201, response.data
    assert response.data["code"] == code


def test_the_same_code_again_returns_the_referral_and_another_is_a_conflict(
    api: ApiClient,
) -> None:
    code = _pair(api)
    first = refer(api, code, "bob").data
    make_customer(api, "cat")
    before = state()
    again = refer(api, code, "bob")
    assert again.status_code == 200
    assert again.data == first
    response = refer(api, code_of(api, "cat"), "bob")
    assert response.status_code == 409
    assert (response.data["code"], response.data["field"]) == ("already_referred", "customer_id")
    # cat's code was made by the read; nothing else changed.
    assert state()[2:] == before[2:]


def test_bad_input_changes_nothing(api: ApiClient) -> None:
    code = _pair(api)
    before = state()
    for body, status, error in (
        ({"code": "NOPE-1234", "customer_id": "bob"}, 404, "referral_code_not_found"),
        ({"code": "??", "customer_id": "bob"}, 404, "referral_code_not_found"),
        ({"code": code, "customer_id": "nobody"}, 404, "customer_not_found"),
        ({"code": code}, 422, None),
        ({"code": code, "customer_id": "bob", "extra": 1}, 422, None),
    ):
        response = api.post("/referrals", body)
        assert response.status_code == status, (body, response.data)
        if error:
            assert response.data["code"] == error
    assert state() == before


def test_a_program_that_attributes_at_the_first_order_only_refuses_sign_ups(
    api: ApiClient,
) -> None:
    code = _pair(api, attribution="first_order")
    before = state()
    response = refer(api, code, "bob")
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == ("attribution_not_allowed", "code")
    assert state() == before


def test_a_paused_program_attributes_nobody(api: ApiClient) -> None:
    code = _pair(api)
    assert api.patch("/referral-programs/friends", {"status": "paused"}).status_code == 200
    before = state()
    response = refer(api, code, "bob")
    assert response.status_code == 422
    assert response.data["code"] == "referral_program_not_active"
    assert state() == before


def test_a_self_referral_is_rejected_and_listed(api: ApiClient) -> None:
    code = _pair(api)
    response = refer(api, code, "ann")
    assert response.status_code == 201
    assert (response.data["status"], response.data["reason"]) == ("rejected", "self_referral")
    assert referrals_of(api, "ann", "?status=rejected") == [response.data]
    assert OutboxEvent.objects.filter(type="referral.rejected").count() == 1
    assert OutboxEvent.objects.filter(type="referral.attributed").count() == 0


def test_two_customers_referring_each_other_is_rejected(api: ApiClient) -> None:
    code = _pair(api)
    assert refer(api, code, "bob").data["status"] == "pending"
    response = refer(api, code_of(api, "bob"), "ann")
    assert (response.data["status"], response.data["reason"]) == (
        "rejected",
        "circular_referral",
    )


@pytest.mark.parametrize(
    "identity",
    [{"email": "ANN@example.com"}, {"phone": "+819012345678"}],
    ids=["email", "phone"],
)
def test_the_referrers_email_or_phone_under_another_customer_is_rejected(
    api: ApiClient, identity: dict[str, str]
) -> None:
    setup(api)
    make_customer(api, "ann", phone="+819012345678")
    make_customer(api, "bob", **identity)
    response = refer(api, code_of(api, "ann"), "bob")
    assert (response.data["status"], response.data["reason"]) == (
        "rejected",
        "duplicate_identity",
    )


def test_a_person_referred_under_another_customer_already_is_rejected(api: ApiClient) -> None:
    code = _pair(api)
    make_customer(api, "bob2", email="bob@example.com")  # bob's address again
    assert refer(api, code, "bob").data["status"] == "pending"
    response = refer(api, code, "bob2")
    assert (response.data["status"], response.data["reason"]) == (
        "rejected",
        "duplicate_identity",
    )


def test_a_customer_who_ordered_before_is_rejected(api: ApiClient) -> None:
    code = _pair(api)
    order(api, "o-1", "bob")
    response = refer(api, code, "bob")
    assert (response.data["status"], response.data["reason"]) == (
        "rejected",
        "existing_customer",
    )


def test_caps_per_referrer_and_period(api: ApiClient) -> None:
    code = _pair(api, caps=[{"period": "month", "times": 2}, {"period": "all_time", "times": 5}])
    refer(api, code, "ann")  # rejected: does not count
    statuses = []
    for name in ("c1", "c2", "c3"):
        make_customer(api, name)
        response = refer(api, code, name)
        statuses.append((response.data["status"], response.data["reason"]))
    assert statuses == [("pending", None), ("pending", None), ("rejected", "cap_reached")]
    # Another referrer has caps of their own.
    make_customer(api, "c4")
    assert refer(api, code_of(api, "bob"), "c4").data["status"] == "pending"


def test_a_rejected_customer_may_be_referred_again(api: ApiClient) -> None:
    code = _pair(api)
    assert refer(api, code_of(api, "bob"), "bob").data["reason"] == "self_referral"
    response = refer(api, code, "bob")
    assert response.status_code == 201
    assert response.data["status"] == "pending"
    assert [r["status"] for r in referrals_of(api, "bob")] == ["pending", "rejected"]


def test_the_code_on_the_first_order_attributes_and_converts(api: ApiClient) -> None:
    code = _pair(api, attribution="first_order")
    order(api, "o-1", "bob", metadata={"referral_code": code.lower()})
    (referral,) = referrals_of(api, "bob")
    assert referral["channel"] == "first_order"
    assert referral["order_id"] == "o-1"
    assert referral["status"] == "converted"
    assert referral["conversion"] == {"type": "order", "id": "o-1"}


def test_a_code_on_a_later_order_is_rejected(api: ApiClient) -> None:
    code = _pair(api)
    order(api, "o-1", "bob")
    order(api, "o-2", "bob", metadata={"referral_code": code})
    (referral,) = referrals_of(api, "bob")
    assert (referral["status"], referral["reason"]) == ("rejected", "existing_customer")


def test_a_code_an_order_cannot_use_is_ignored(api: ApiClient) -> None:
    code = _pair(api, attribution="signup")
    before = Referral.objects.count()
    order(api, "o-1", "bob", metadata={"referral_code": code})
    order(api, "o-2", "bob", metadata={"referral_code": "NOPE-0000"})
    order(api, "o-3", "bob", metadata={"referral_code": 42})
    assert Referral.objects.count() == before


def test_a_pending_order_attributes_when_it_is_paid(api: ApiClient) -> None:
    code = _pair(api)
    order(api, "o-1", "bob", status="pending", metadata={"referral_code": code})
    assert referrals_of(api, "bob") == []
    assert api.post("/orders/o-1/status", {"status": "paid"}).status_code == 200
    (referral,) = referrals_of(api, "bob")
    assert (referral["channel"], referral["status"]) == ("first_order", "converted")


def test_the_list_is_paginated_newest_first(api: ApiClient) -> None:
    code = _pair(api)
    ids = []
    for name in ("c1", "c2", "c3"):
        make_customer(api, name)
        ids.append(refer(api, code, name).data["id"])
    first = api.get("/customers/ann/referrals?limit=2").data
    assert [r["id"] for r in first["data"]] == ids[::-1][:2]
    second = api.get(f"/customers/ann/referrals?limit=2&cursor={first['next_cursor']}").data
    assert [r["id"] for r in second["data"]] == ids[:1]
    assert second["next_cursor"] is None
