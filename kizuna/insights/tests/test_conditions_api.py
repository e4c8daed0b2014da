"""GET /conditions/fields, and malformed conditions: never a 500, whatever the JSON."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.insights.models import Segment

pytestmark = pytest.mark.django_db


def test_the_fields_a_console_builds_a_rule_editor_from(api: Any, other_api: Any) -> None:
    api.put("/customers/aiko", {"attributes": {"city": "Osaka", "visits": 3, "vip": True}})
    other_api.put("/customers/ken", {"attributes": {"shoe_size": 27}})
    response = api.get("/conditions/fields")
    assert response.status_code == 200
    fields = {f["name"]: f for f in response.data["data"]}
    names = list(fields)
    assert names == sorted(names)

    for name in (
        "customer.email",
        "customer.created_at",
        "customer.consents.email_marketing",
        "customer.events.count",
        "customer.orders.count",
        "customer.orders.total_spent",
        "customer.orders.last_at",
        "customer.orders.skus",
        "order.total",
        "order.items[*].sku",
        "order.metadata.<key>",
        "item.unit_price",
    ):
        assert name in fields, name
    # The workspace's own attributes, typed as declared; not another workspace's.
    assert fields["customer.attributes.city"]["type"] == "string"
    assert fields["customer.attributes.visits"]["type"] == "number"
    assert fields["customer.attributes.vip"]["ops"] == ["eq", "ne", "exists", "not_exists"]
    assert "customer.attributes.shoe_size" not in fields

    spent = fields["customer.orders.total_spent"]
    assert spent["type"] == "money"
    assert spent["example"] == {
        "field": "customer.orders.total_spent",
        "within": "90d",
        "op": "gt",
        "value": "100.00",
    }
    assert "within_last" not in spent["ops"] and "gt" in spent["ops"]
    assert (spent["in_memory"], spent["in_sql"], spent["subject"]) == (True, True, "customer")
    assert [e["name"] for e in spent["extras"]] == ["within"]
    events = fields["customer.events.count"]
    assert [e["name"] for e in events["extras"]] == ["event", "within"]
    assert fields["customer.orders.skus"]["type"] == "list[string]"
    assert "any_in" in fields["customer.orders.skus"]["ops"]
    assert fields["customer.consents.sms_marketing"]["choices"] == ["granted", "denied", "pending"]
    assert fields["order.channel"]["subject"] == "order"
    assert fields["item.quantity"]["subject"] == "item"


def test_every_example_is_a_valid_condition(api: Any) -> None:
    """What the listing shows as an example, a console can send back."""
    api.put("/customers/aiko", {"attributes": {"city": "Osaka", "joined": "2024-01-01"}})
    for field in api.get("/conditions/fields").data["data"]:
        if field["subject"] != "customer":
            continue
        response = api.post("/segments/preview", {"condition": field["example"]})
        assert response.status_code == 200, (field["name"], response.data)


def test_fields_of_one_order_cannot_select_customers(api: Any) -> None:
    response = api.post(
        "/segments/preview", {"condition": {"field": "item.sku", "op": "eq", "value": "TEA-1"}}
    )
    assert response.status_code == 422
    assert response.data["field"] == "condition.field"
    assert "a segment may use fields of customer only" in response.data["message"]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "customer.email",
            "customer.orders.total_spent",
            "customer.attributes.city",
            "customer.events.count",
            "customer.orders.skus",
            "eq",
            "in",
            "between",
            "within_last",
            "any_in",
            "90d",
            "100.00",
            "2026-01-01",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["all", "any", "not", "field", "op", "value", "within", "event", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(condition=JSON)
def test_no_condition_however_malformed_is_a_500(api: Any, condition: Any) -> None:
    preview = api.post("/segments/preview", {"condition": condition})
    assert preview.status_code in (200, 422), preview.content
    if preview.status_code == 422:
        assert preview.data["code"] in ("invalid_condition", "invalid_character")
    created = api.post("/segments", {"name": "x", "condition": condition})
    assert created.status_code in (201, 422), created.content
    assert (created.status_code == 201) == (preview.status_code == 200)
    Segment.objects.all().delete()


def test_a_body_nested_beyond_any_parser_is_refused_not_a_500(api: Any) -> None:
    deep = '{"condition": ' + '{"not": ' * 50_000 + "{}" + "}" * 50_000 + "}"
    response = api.post("/segments/preview", deep.encode())
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "malformed_request"
