"""Voucher campaigns through the API: created, read, listed, changed; every refused body is
422 with its code and field, and changes nothing."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.vouchers.models import Campaign, Voucher
from kizuna.vouchers.tests.support import campaign_body, make_campaign, make_customer, state


def test_a_campaign_is_stored_as_given_and_audited(api: ApiClient) -> None:
    make_customer(api, "cust-1")
    data = make_campaign(
        api,
        customer_id="cust-1",
        code={"prefix": "hoshi-", "charset": "abcdefgh", "length": 6},
    )

    assert data["id"] == "summer"
    assert data["discount"] == {
        "type": "percent",
        "percent": "10",
        "max_discount": "20.00",
        "currency": "USD",
    }
    assert data["code"] == {
        "prefix": "HOSHI-",
        "postfix": "",
        "charset": "ABCDEFGH",
        "length": 6,
    }
    assert data["usage"] == {"per_code": 1, "per_customer": 2}
    assert data["customer_id"] == "cust-1"
    assert data["valid_from"] == "2026-01-01T00:00:00Z"
    assert api.get("/voucher-campaigns/summer").data == data
    listed = api.get("/voucher-campaigns").data
    assert [c["id"] for c in listed["data"]] == ["summer"]
    [entry] = AuditEntry.objects.filter(action="voucher_campaign.created")
    assert entry.after is not None
    assert entry.object_id == "summer"
    assert entry.after["discount"]["percent"] == "10"


def test_defaults_single_use_and_the_unambiguous_charset(api: ApiClient) -> None:
    data = make_campaign(
        api,
        id=None,
        code=None,
        usage=None,
        valid_from=None,
        valid_until=None,
        condition=None,
        discount={"type": "free_shipping"},
    )
    assert data["id"].startswith("campaign-")
    assert data["usage"] == {"per_code": 1, "per_customer": None}
    assert data["code"] == {
        "prefix": "",
        "postfix": "",
        "charset": "ABCDEFGHJKMNPQRSTUVWXYZ23456789",
        "length": 8,
    }


@pytest.mark.parametrize(
    ("discount", "stored"),
    [
        (
            {"type": "amount", "amount": "5", "currency": "JPY"},
            {"type": "amount", "amount": "5", "currency": "JPY"},
        ),
        ({"type": "percent", "percent": "12.5"}, {"type": "percent", "percent": "12.5"}),
        (
            {
                "type": "unit",
                "amount": "2.00",
                "currency": "USD",
                "item_condition": {"field": "item.category", "op": "eq", "value": "tea"},
            },
            {
                "type": "unit",
                "amount": "2.00",
                "currency": "USD",
                "item_condition": {"field": "item.category", "op": "eq", "value": "tea"},
            },
        ),
    ],
)
def test_each_kind_of_discount(api: ApiClient, discount: Any, stored: Any) -> None:
    assert make_campaign(api, discount=discount)["discount"] == stored


BAD_BODIES = [
    ({"discount": {"type": "bogo"}}, "invalid_discount", "discount.type"),
    ({"discount": {"type": "amount", "currency": "USD"}}, "required", "discount.amount"),
    ({"discount": {"type": "amount", "amount": "5.00"}}, "required", "discount.currency"),
    (
        {"discount": {"type": "amount", "amount": "5.001", "currency": "USD"}},
        "too_many_decimal_places",
        "discount.amount",
    ),
    ({"discount": {"type": "percent", "percent": 0}}, "invalid_discount", "discount.percent"),
    ({"discount": {"type": "percent", "percent": 101}}, "invalid_discount", "discount.percent"),
    (
        {"discount": {"type": "percent", "percent": 10, "max_discount": "5.00"}},
        "required",
        "discount.currency",
    ),
    (
        {"discount": {"type": "unit", "amount": "1.00", "currency": "USD"}},
        "required",
        "discount.item_condition",
    ),
    (
        {
            "discount": {
                "type": "unit",
                "amount": "1.00",
                "currency": "USD",
                "item_condition": {"field": "order.total", "op": "gt", "value": "1.00"},
            }
        },
        "invalid_condition",
        "discount.item_condition.field",
    ),
    ({"discount": {"type": "free_shipping", "amount": "1"}}, "invalid_discount", "discount.amount"),
    (
        {"condition": {"all": [{"field": "order.total", "op": "gte", "value": "x"}]}},
        "invalid_condition",
        "condition.all[0].value",
    ),
    ({"code": {"pattern": "AB-##"}}, "invalid_code_spec", "code.pattern"),
    ({"code": {"pattern": "AB_####"}}, "invalid_code_spec", "code.pattern"),
    ({"code": {"pattern": "####", "charset": "ABC"}}, "invalid_code_spec", "code.pattern"),
    ({"code": {"pattern": "####", "length": 6}}, "invalid_code_spec", "code.length"),
    ({"code": {"charset": "A"}}, "invalid_code_spec", "code.charset"),
    ({"code": {"charset": "AB C"}}, "invalid_code_spec", "code.charset"),
    ({"code": {"prefix": "HO SHI!"}}, "invalid_code_spec", "code.prefix"),
    ({"code": {"length": 2}}, "invalid_code_spec", "code.length"),
    ({"code": {"size": 2}}, "invalid_code_spec", "code.size"),
    ({"usage": {"per_code": 0}}, "invalid_limit", "usage.per_code"),
    ({"usage": {"per_customer": "2"}}, "invalid_limit", "usage.per_customer"),
    ({"usage": {"per_order": 1}}, "invalid_usage", "usage.per_order"),
    ({"valid_until": "2025-01-01T00:00:00Z"}, "invalid_window", "valid_until"),
    ({"id": "Summer Sale"}, "invalid_id", "id"),
    ({"name": ""}, "too_short", "name"),
]


@pytest.mark.parametrize(("override", "code", "field"), BAD_BODIES)
def test_a_bad_campaign_is_refused_with_its_code_and_field(
    api: ApiClient, override: dict[str, Any], code: str, field: str
) -> None:
    before = state()
    response = api.post("/voucher-campaigns", campaign_body(**override))
    assert response.status_code == 422, response.data
    assert (response.data["code"], response.data["field"]) == (code, field)
    assert state() == before


def test_a_campaign_id_is_taken_once(api: ApiClient) -> None:
    make_campaign(api)
    before = state()
    response = api.post("/voucher-campaigns", campaign_body(name="Again"))
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        409,
        "voucher_campaign_exists",
        "id",
    )
    assert state() == before


def test_an_unknown_customer_is_refused(api: ApiClient) -> None:
    before = state()
    response = api.post("/voucher-campaigns", campaign_body(customer_id="nobody"))
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        404,
        "customer_not_found",
        "customer_id",
    )
    assert state() == before


def test_a_change_is_checked_stored_and_audited(api: ApiClient) -> None:
    make_campaign(api)
    campaign = Campaign.objects.get()
    Voucher.objects.create(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        code="A1",
        max_uses=1,
        source="imported",
    )
    response = api.patch(
        "/voucher-campaigns/summer",
        {"name": "Late summer", "usage": {"per_code": 3}, "status": "paused"},
    )
    assert response.status_code == 200, response.data
    assert (response.data["name"], response.data["status"]) == ("Late summer", "paused")
    assert response.data["usage"] == {"per_code": 3, "per_customer": 2}
    assert Voucher.objects.get().max_uses == 3, "each code carries its campaign's limit"
    entry = AuditEntry.objects.get(action="voucher_campaign.updated")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("Summer sale", "Late summer")


@pytest.mark.parametrize(
    ("patch", "code", "field"),
    [
        ({"name": None}, "null_value", "name"),
        ({"discount": {"type": "percent", "percent": 200}}, "invalid_discount", "discount.percent"),
        ({"valid_from": "2027-06-01T00:00:00Z"}, "invalid_window", "valid_until"),
        ({"usage": {"per_code": 1}}, "limit_below_uses", "usage.per_code"),
        ({"status": "deleted"}, "invalid_choice", "status"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    api: ApiClient, patch: dict[str, Any], code: str, field: str
) -> None:
    make_campaign(api, usage={"per_code": 5})
    campaign = Campaign.objects.get()
    Voucher.objects.create(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        code="A1",
        max_uses=5,
        uses=2,
        source="imported",
    )
    before = state()
    response = api.patch("/voucher-campaigns/summer", patch)
    assert response.status_code == 422, response.data
    assert (response.data["code"], response.data["field"]) == (code, field)
    assert state() == before


def test_another_workspace_sees_no_campaign(api: ApiClient, other_api: ApiClient) -> None:
    make_campaign(api)
    response = other_api.get("/voucher-campaigns/summer")
    assert (response.status_code, response.data["code"]) == (404, "voucher_campaign_not_found")
    assert other_api.get("/voucher-campaigns").data["data"] == []
