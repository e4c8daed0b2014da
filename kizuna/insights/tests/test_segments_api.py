"""Segments through the HTTP API: create, list, change, delete, preview, members, refresh."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.insights.models import Segment, SegmentMembership, SegmentRefresh
from kizuna.insights.tasks import refresh_segment

pytestmark = pytest.mark.django_db

OSAKA = {"field": "customer.attributes.city", "op": "eq", "value": "Osaka"}
SPENDERS = {"field": "customer.orders.total_spent", "within": "90d", "op": "gt", "value": "50.00"}


def assert_error(response: Any, status: int, code: str, field: str | None) -> None:
    """The API client checked the error body's shape; this checks what it says."""
    assert response.status_code == status, (response.status_code, response.data)
    assert (response.data["code"], response.data["field"]) == (code, field), response.data


def add_customer(api: Any, external_id: str, **fields: Any) -> None:
    response = api.put(f"/customers/{external_id}", fields)
    assert response.status_code in (200, 201), response.data


def add_order(api: Any, order_body: Any, customer_id: str, external_id: str, days: int) -> None:
    body = order_body(
        external_id=external_id,
        customer_id=customer_id,
        occurred_at=(now() - timedelta(days=days)).isoformat(),
    )
    assert api.post("/orders", body).status_code == 201


@pytest.fixture
def city(api: Any) -> None:
    """Declares the attribute `city` (a string), which OSAKA reads."""
    add_customer(api, "first", attributes={"city": "Nara"})


@pytest.fixture
def people(api: Any, order_body: Any) -> None:
    """aiko (Osaka, 62.00 spent lately), ken (Osaka, 31.00 lately, 31.00 long ago),
    mina (Seoul, 93.00 lately), sora (no city, nothing bought)."""
    add_customer(api, "aiko", attributes={"city": "Osaka"}, locale="ja-JP")
    add_customer(api, "ken", attributes={"city": "Osaka"}, locale="ja")
    add_customer(api, "mina", attributes={"city": "Seoul"}, locale="ko-KR")
    add_customer(api, "sora", locale="en")
    add_order(api, order_body, "aiko", "a1", 3)
    add_order(api, order_body, "aiko", "a2", 20)
    add_order(api, order_body, "ken", "k1", 5)
    add_order(api, order_body, "ken", "k2", 200)
    for i in range(3):
        add_order(api, order_body, "mina", f"m{i}", 10 + i)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.data
    return [c["external_id"] for c in response.data["data"]]


def segment_events(workspace: NewWorkspace) -> list[tuple[str, str]]:
    rows = OutboxEvent.objects.for_workspace(workspace.workspace).filter(
        type__startswith="segment."
    )
    return sorted((e.type, e.payload["customer_id"]) for e in rows)


# ------------------------------------------------------------------ create, read, change


def test_create_returns_the_segment_and_a_second_post_with_its_id_is_409(
    api: Any, city: None
) -> None:
    body = {"id": "osaka", "name": "Osaka", "description": "Lives in Osaka", "condition": OSAKA}
    response = api.post("/segments", body)
    assert response.status_code == 201, response.data
    data = response.data
    assert data["id"] == "osaka"
    assert data["condition"] == OSAKA
    assert (data["materialized"], data["size"], data["refreshed_at"]) == (False, None, None)
    assert data["created_at"] == data["updated_at"]

    again = api.post("/segments", {**body, "name": "Other"})
    assert_error(again, 409, "segment_exists", "id")
    assert api.get("/segments/osaka").data["name"] == "Osaka"


def test_an_id_is_generated_when_omitted(api: Any, city: None) -> None:
    response = api.post("/segments", {"name": "Osaka", "condition": OSAKA})
    assert response.status_code == 201
    assert response.data["id"].startswith("seg_")
    assert api.get(f"/segments/{response.data['id']}").status_code == 200


@pytest.mark.parametrize("bad", ["Osaka", "-x", "x y", "a" * 65, "", "é"])
def test_ids_follow_the_rule(api: Any, bad: str) -> None:
    response = api.post("/segments", {"id": bad, "name": "x", "condition": OSAKA})
    assert response.status_code == 422
    assert response.data["field"] == "id"
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (None, "condition"),
        (
            {"all": [OSAKA, OSAKA, {"field": "customer.attributes.city", "op": "eq", "value": 1}]},
            "condition.all[2].value",
        ),
        ({"field": "customer.attributes.nope", "op": "eq", "value": "x"}, "condition.field"),
        ({"field": "order.total", "op": "gt", "value": "1.00"}, "condition.field"),
        ({"field": "customer.attributes.city", "op": "gt", "value": "A"}, "condition.op"),
        ({"field": "customer.email", "op": "matches", "value": ".*"}, "condition.op"),
        (
            {
                "any": [
                    {
                        "not": {
                            "field": "customer.orders.count",
                            "within": "9x",
                            "op": "gt",
                            "value": 1,
                        }
                    }
                ]
            },
            "condition.any[0].not.within",
        ),
    ],
)
def test_a_malformed_condition_is_422_invalid_condition_naming_its_path(
    api: Any, people: None, condition: Any, field: str
) -> None:
    response = api.post("/segments", {"name": "x", "condition": condition})
    assert_error(response, 422, "invalid_condition", field)
    assert not Segment.objects.exists()
    preview = api.post("/segments/preview", {"condition": condition})
    assert_error(preview, 422, "invalid_condition", field)


def test_list_segments_by_id_in_pages(api: Any, other_api: Any, city: None) -> None:
    add_customer(other_api, "first", attributes={"city": "Nara"})
    for key in ("c", "a", "b"):
        api.post("/segments", {"id": key, "name": key, "condition": OSAKA})
    other_api.post("/segments", {"id": "z", "name": "z", "condition": OSAKA})
    first = api.get("/segments?limit=2")
    assert [s["id"] for s in first.data["data"]] == ["a", "b"]
    second = api.get(f"/segments?limit=2&cursor={first.data['next_cursor']}")
    assert [s["id"] for s in second.data["data"]] == ["c"]
    assert second.data["next_cursor"] is None


def test_another_workspace_sees_no_segment(api: Any, other_api: Any, city: None) -> None:
    api.post("/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA})
    assert_error(other_api.get("/segments/osaka"), 404, "segment_not_found", "segment_id")
    patch = other_api.patch("/segments/osaka", {"name": "Mine"})
    assert_error(patch, 404, "segment_not_found", "segment_id")
    assert_error(other_api.delete("/segments/osaka"), 404, "segment_not_found", "segment_id")
    assert_error(other_api.post("/segments/osaka/refresh"), 404, "segment_not_found", "segment_id")
    customers = other_api.get("/segments/osaka/customers")
    assert_error(customers, 404, "segment_not_found", "segment_id")
    assert_error(other_api.get("/customers?segment=osaka"), 422, "segment_not_found", "segment")
    assert api.get("/segments/osaka").data["name"] == "Osaka"


def test_patch_changes_what_it_names(api: Any, city: None) -> None:
    api.post("/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA})
    response = api.patch("/segments/osaka", {"description": "Customers in Osaka"})
    assert response.status_code == 200
    assert (response.data["name"], response.data["description"]) == ("Osaka", "Customers in Osaka")
    assert response.data["updated_at"] > response.data["created_at"]
    bad = api.patch("/segments/osaka", {"condition": {"field": "customer.city"}})
    assert_error(bad, 422, "invalid_condition", "condition.field")
    assert api.get("/segments/osaka").data["condition"] == OSAKA


def test_delete_removes_the_segment_its_members_and_refreshes(api: Any, people: None) -> None:
    api.post(
        "/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA, "materialized": True}
    )
    api.post("/segments/osaka/refresh")
    assert SegmentMembership.objects.count() == 2
    assert api.delete("/segments/osaka").status_code == 204
    assert not Segment.objects.exists()
    assert not SegmentMembership.objects.exists() and not SegmentRefresh.objects.exists()
    assert_error(api.get("/segments/osaka"), 404, "segment_not_found", "segment_id")


# ------------------------------------------------------------------ members


def test_preview_counts_and_samples_without_saving(api: Any, people: None) -> None:
    condition = {"all": [OSAKA, SPENDERS]}
    response = api.post("/segments/preview", {"condition": condition})
    assert response.status_code == 200, response.data
    assert response.data["count"] == 1
    assert [c["external_id"] for c in response.data["sample"]] == ["aiko"]
    assert response.data["sample"][0]["attributes"] == {"city": "Osaka"}
    everyone = api.post("/segments/preview", {"condition": {"all": []}})
    assert everyone.data["count"] == 4
    assert not Segment.objects.exists()


def test_a_live_segment_is_evaluated_at_query_time(api: Any, people: None) -> None:
    api.post("/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA})
    assert ids(api.get("/segments/osaka/customers")) == ["aiko", "ken"]
    assert ids(api.get("/customers?segment=osaka")) == ["aiko", "ken"]
    add_customer(api, "mina", attributes={"city": "Osaka"})
    assert ids(api.get("/segments/osaka/customers")) == ["aiko", "ken", "mina"]
    assert ids(api.get("/customers?segment=osaka&q=ke")) == ["ken"]
    assert segment_events_empty()


def segment_events_empty() -> bool:
    return not OutboxEvent.objects.filter(type__startswith="segment.").exists()


def test_segment_customers_page_through(api: Any, people: None) -> None:
    api.post("/segments", {"id": "all", "name": "Everyone", "condition": {"all": []}})
    first = api.get("/segments/all/customers?limit=3")
    assert ids(first) == ["aiko", "ken", "mina"]
    second = api.get(f"/segments/all/customers?limit=3&cursor={first.data['next_cursor']}")
    assert ids(second) == ["sora"]
    assert second.data["next_cursor"] is None


def test_an_erased_customer_belongs_to_no_segment(api: Any, people: None) -> None:
    api.post(
        "/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA, "materialized": True}
    )
    api.post("/segments/osaka/refresh")
    assert api.post("/customers/ken/erase").status_code == 200
    preview = api.post("/segments/preview", {"condition": {"all": []}})
    assert preview.data["count"] == 3
    done = api.post("/segments/osaka/refresh")
    assert (done.data["size"], done.data["left"]) == (1, 1)
    assert ids(api.get("/segments/osaka/customers")) == ["aiko"]


# ------------------------------------------------------------------ materialized refresh


def test_a_materialized_segment_records_who_enters_and_who_leaves(
    api: Any, workspace: NewWorkspace, people: None, order_body: Any
) -> None:
    created = api.post(
        "/segments",
        {"id": "spenders", "name": "Spent over 50 in 90 days", "condition": SPENDERS,
         "materialized": True},
    )  # fmt: skip
    assert created.status_code == 201
    assert ids(api.get("/segments/spenders/customers")) == []  # not refreshed yet

    first = api.post("/segments/spenders/refresh")
    assert first.status_code == 200, first.data
    assert {k: first.data[k] for k in ("segment_id", "trigger", "size", "entered", "left")} == {
        "segment_id": "spenders",
        "trigger": "api",
        "size": 2,
        "entered": 2,
        "left": 0,
    }
    assert segment_events(workspace) == [
        ("segment.entered", "aiko"),
        ("segment.entered", "mina"),
    ]
    assert ids(api.get("/segments/spenders/customers")) == ["aiko", "mina"]
    assert ids(api.get("/customers?segment=spenders")) == ["aiko", "mina"]
    segment = api.get("/segments/spenders").data
    assert (segment["size"], segment["refreshed_at"]) == (2, first.data["started_at"])

    # ken buys enough to enter; mina's refunds make her leave.
    add_order(api, order_body, "ken", "k3", 1)
    for i in range(3):
        api.post(f"/orders/m{i}/refunds", {"external_id": f"rm{i}", "amount": "31.00"})
    second = api.post("/segments/spenders/refresh")
    assert (second.data["size"], second.data["entered"], second.data["left"]) == (2, 1, 1)
    assert segment_events(workspace) == [
        ("segment.entered", "aiko"),
        ("segment.entered", "ken"),
        ("segment.entered", "mina"),
        ("segment.left", "mina"),
    ]
    left = OutboxEvent.objects.get(type="segment.left").payload
    assert left == {
        "segment_id": "spenders",
        "customer_id": "mina",
        "left_at": second.data["started_at"],
    }

    # Nothing changed: a third refresh records its size and emits nothing.
    third = api.post("/segments/spenders/refresh")
    assert (third.data["size"], third.data["entered"], third.data["left"]) == (2, 0, 0)
    assert len(segment_events(workspace)) == 4
    history = SegmentMembership.objects.order_by("customer__external_id", "entered_at")
    stays = [(m.customer.external_id, m.left_at is None) for m in history]
    assert stays == [("aiko", True), ("ken", True), ("mina", False)]
    sizes = list(SegmentRefresh.objects.order_by("started_at").values_list("size", flat=True))
    assert sizes == [2, 2, 2]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_creating_or_changing_a_materialized_segment_refreshes_it_after_commit(
    api: Any, people: None
) -> None:
    api.post(
        "/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA, "materialized": True}
    )
    assert api.get("/segments/osaka").data["size"] is None
    run_worker()
    assert api.get("/segments/osaka").data["size"] == 2
    assert ids(api.get("/segments/osaka/customers")) == ["aiko", "ken"]

    api.patch("/segments/osaka", {"name": "Osakans"})
    run_worker()
    assert SegmentRefresh.objects.count() == 1  # the condition did not change

    api.patch("/segments/osaka", {"condition": {**OSAKA, "value": "Seoul"}})
    run_worker()
    assert SegmentRefresh.objects.count() == 2
    assert SegmentRefresh.objects.latest("started_at").trigger == "change"
    assert ids(api.get("/segments/osaka/customers")) == ["mina"]


def test_a_live_segments_refresh_records_its_size_only(api: Any, people: None) -> None:
    api.post("/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA})
    done = api.post("/segments/osaka/refresh")
    assert (done.data["size"], done.data["entered"], done.data["left"]) == (2, 0, 0)
    assert not SegmentMembership.objects.exists()
    assert api.get("/segments/osaka").data["size"] == 2
    assert segment_events_empty()


def test_the_periodic_command_refreshes_every_materialized_segment(
    api: Any, people: None, capsys: Any
) -> None:
    api.post(
        "/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA, "materialized": True}
    )
    api.post("/segments", {"id": "live", "name": "Live", "condition": OSAKA})
    call_command("refresh_segments")
    out = capsys.readouterr().out
    assert "/osaka: 2 member(s), 2 entered, 0 left" in out
    assert "live" not in out
    assert "refreshed 1 segment(s), 0 failure(s)" in out
    assert SegmentRefresh.objects.get().trigger == "schedule"


def test_the_refresh_task_of_a_deleted_segment_does_nothing(api: Any, city: None) -> None:
    api.post(
        "/segments", {"id": "osaka", "name": "Osaka", "condition": OSAKA, "materialized": True}
    )
    pk = Segment.objects.get().pk
    api.delete("/segments/osaka")
    assert refresh_segment.call(pk, "change") is None
