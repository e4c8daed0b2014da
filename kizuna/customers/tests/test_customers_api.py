"""Customers through the HTTP API: create, upsert, read, update, search, pagination, typed
attributes, consent with its history, validation, and the outbox events each change writes."""

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import OutboxEvent
from kizuna.customers import selectors
from kizuna.customers.models import AttributeDefinition, ConsentChange, Customer
from kizuna.customers.schemas import CustomerFields
from kizuna.customers.services import attributes, profiles

pytestmark = pytest.mark.django_db


def outbox(workspace: NewWorkspace, type_: str | None = None) -> list[dict[str, Any]]:
    events = OutboxEvent.objects.for_workspace(workspace.workspace).order_by("occurred_at", "pk")
    if type_ is not None:
        events = events.filter(type=type_)
    return [{"type": e.type, **e.payload} for e in events]


def changes(workspace: NewWorkspace, external_id: str) -> list[tuple[str, str, str]]:
    rows = ConsentChange.objects.for_workspace(workspace.workspace).filter(
        customer__external_id=external_id
    )
    return [(c.channel, c.previous_status, c.status) for c in rows.order_by("occurred_at", "id")]


FULL_PROFILE = {
    "external_id": "c-1",
    "email": "Alice@Example.COM",
    "phone": "+819012345678",
    "first_name": "Alice",
    "last_name": "Smith",
    "birthdate": "1990-04-01",
    "locale": "ja-JP",
    "timezone": "Asia/Tokyo",
    "attributes": {"city": "Osaka"},
    "consents": {"email_marketing": {"status": "granted", "updated_at": "2026-01-10T09:00:00Z"}},
}


# ------------------------------------------------------------------ create


def test_create_returns_the_stored_profile(api: Any, workspace: NewWorkspace) -> None:
    response = api.post("/customers", FULL_PROFILE)

    assert response.status_code == 201
    body = response.data
    assert body["external_id"] == "c-1"
    assert body["email"] == "alice@example.com"
    assert body["phone"] == "+819012345678"
    assert (body["first_name"], body["last_name"]) == ("Alice", "Smith")
    assert body["birthdate"] == "1990-04-01"
    assert (body["locale"], body["timezone"]) == ("ja-JP", "Asia/Tokyo")
    assert body["attributes"] == {"city": "Osaka"}
    assert body["consents"] == {
        "email_marketing": {"status": "granted", "updated_at": "2026-01-10T09:00:00Z"}
    }
    assert api.get("/customers/c-1").data == body


def test_create_with_only_an_id_leaves_the_profile_empty(api: Any) -> None:
    response = api.post("/customers", {"external_id": "bare"})

    assert response.status_code == 201
    assert response.data["email"] is None
    assert response.data["birthdate"] is None
    assert response.data["attributes"] == {}
    assert response.data["consents"] == {}


def test_creating_an_existing_customer_is_a_conflict_that_changes_nothing(
    api: Any, workspace: NewWorkspace
) -> None:
    first = api.post("/customers", FULL_PROFILE).data

    response = api.post(
        "/customers",
        {
            "external_id": "c-1",
            "email": "someone.else@example.com",
            "attributes": {"brand_new_key": 5},
            "consents": {"sms_marketing": {"status": "granted"}},
        },
    )

    assert response.status_code == 409
    assert response.data["code"] == "customer_exists"
    assert response.data["field"] == "external_id"
    assert api.get("/customers/c-1").data == first
    assert not AttributeDefinition.objects.filter(key="brand_new_key").exists()
    assert changes(workspace, "c-1") == [("email_marketing", "", "granted")]
    assert sorted(e["type"] for e in outbox(workspace)) == [
        "customer.consent_changed",
        "customer.created",
    ]
    assert Customer.objects.for_workspace(workspace.workspace).count() == 1


def test_customers_of_another_workspace_are_invisible(api: Any, other_api: Any) -> None:
    api.post("/customers", {"external_id": "shared-id", "email": "a@example.com"})

    response = other_api.get("/customers/shared-id")
    assert response.status_code == 404
    assert response.data["code"] == "customer_not_found"
    assert other_api.get("/customers").data == {"data": [], "next_cursor": None}
    # The same external_id is free in another workspace.
    assert other_api.post("/customers", {"external_id": "shared-id"}).status_code == 201
    assert api.get("/customers/shared-id").data["email"] == "a@example.com"


def test_get_unknown_customer_is_404(api: Any) -> None:
    response = api.get("/customers/nobody")

    assert response.status_code == 404
    assert response.data["code"] == "customer_not_found"
    assert response.data["field"] == "customer_id"


# ------------------------------------------------------------------ upsert and patch


def test_put_creates_then_merges(api: Any) -> None:
    created = api.put(
        "/customers/c-9",
        {
            "email": "kim@example.com",
            "first_name": "Minjun",
            "locale": "ko",
            "attributes": {"city": "Seoul", "visits": 1, "vip": False},
        },
    )
    assert created.status_code == 201
    assert created.data["external_id"] == "c-9"

    updated = api.put(
        "/customers/c-9",
        {"last_name": "Kim", "attributes": {"visits": 2, "vip": None, "tier": "gold"}},
    )

    assert updated.status_code == 200
    body = updated.data
    assert body["email"] == "kim@example.com"  # omitted: kept
    assert body["first_name"] == "Minjun"
    assert body["locale"] == "ko"
    assert body["last_name"] == "Kim"
    assert body["attributes"] == {"city": "Seoul", "visits": 2, "tier": "gold"}
    assert body["created_at"] == created.data["created_at"]


def test_put_with_an_empty_body_changes_nothing(api: Any, workspace: NewWorkspace) -> None:
    first = api.put("/customers/c-1", {"email": "a@example.com"}).data

    again = api.put("/customers/c-1", {})

    assert again.status_code == 200
    assert again.data == first
    assert [e["type"] for e in outbox(workspace)] == ["customer.created"]


@pytest.mark.parametrize("path", ["/customers/with%20space", "/customers/" + "x" * 129])
def test_put_refuses_an_id_that_post_would_refuse(api: Any, path: str) -> None:
    response = api.put(path, {})

    assert response.status_code == 422
    assert response.data["code"] == "invalid_external_id"
    assert response.data["field"] == "customer_id"
    assert Customer.objects.count() == 0


def test_patch_updates_given_fields_and_null_clears(api: Any) -> None:
    api.post("/customers", FULL_PROFILE)

    response = api.patch(
        "/customers/c-1",
        {"phone": None, "first_name": "Alicia", "attributes": {"city": None, "plan": "pro"}},
    )

    assert response.status_code == 200
    body = response.data
    assert body["phone"] is None
    assert body["first_name"] == "Alicia"
    assert body["last_name"] == "Smith"
    assert body["email"] == "alice@example.com"
    assert body["attributes"] == {"plan": "pro"}
    assert api.get("/customers/c-1").data == body


def test_patch_unknown_customer_is_404_and_creates_nothing(api: Any) -> None:
    response = api.patch("/customers/ghost", {"email": "g@example.com"})

    assert response.status_code == 404
    assert response.data["code"] == "customer_not_found"
    assert Customer.objects.count() == 0


# ------------------------------------------------------------------ search


@pytest.fixture
def people(api: Any) -> None:
    for body in [
        {
            "external_id": "crm-00042",
            "email": "alice@example.com",
            "first_name": "Alice",
            "last_name": "Smith",
        },
        {
            "external_id": "crm-00043",
            "email": "bob@example.org",
            "first_name": "Bob",
            "last_name": "Brown",
            "phone": "+14155550100",
        },
        {
            "external_id": "jp-1",
            "email": "taro@example.jp",
            "first_name": "太郎",
            "last_name": "山田",
        },
        {
            "external_id": "kr-1",
            "email": "minjun@example.kr",
            "first_name": "민준",
            "last_name": "김",
        },
        {"external_id": "kr-2", "first_name": "서연", "last_name": "이"},
    ]:
        assert api.post("/customers", body).status_code == 201


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ALICE@example", ["crm-00042"]),
        ("example.org", ["crm-00043"]),
        ("alice", ["crm-00042"]),
        ("Alice Smith", ["crm-00042"]),
        ("smith ALICE", ["crm-00042"]),
        ("brown", ["crm-00043"]),
        ("+1415555", ["crm-00043"]),
        ("crm-0004", ["crm-00042", "crm-00043"]),
        ("crm-00043", ["crm-00043"]),
        ("山田", ["jp-1"]),
        ("太郎", ["jp-1"]),
        ("山田太郎", ["jp-1"]),
        ("山田 太郎", ["jp-1"]),
        ("김민준", ["kr-1"]),
        ("민준", ["kr-1"]),
        ("이서연", ["kr-2"]),
        ("김", ["kr-1"]),
        ("example", ["crm-00042", "crm-00043", "jp-1", "kr-1"]),
        ("nobody", []),
        ("100%", []),
        ("   ", ["crm-00042", "crm-00043", "jp-1", "kr-1", "kr-2"]),
    ],
)
def test_search(api: Any, people: None, q: str, expected: list[str]) -> None:
    response = api.get("/customers?" + urlencode({"q": q}))

    assert response.status_code == 200
    assert [c["external_id"] for c in response.data["data"]] == expected
    assert response.data["next_cursor"] is None


def test_search_does_not_cross_workspaces(api: Any, other_api: Any, people: None) -> None:
    response = other_api.get("/customers?" + urlencode({"q": "alice"}))

    assert response.data["data"] == []


def test_search_by_unknown_segment_is_422(api: Any) -> None:
    response = api.get("/customers?segment=vip")

    assert response.status_code == 422
    assert response.data["code"] == "segment_not_found"
    assert response.data["field"] == "segment"


# ------------------------------------------------------------------ pagination


def walk(api: Any, path: str, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = api.get(f"{path}?{urlencode(query)}")
        assert response.status_code == 200, response.data
        assert len(response.data["data"]) <= limit
        seen += [row["external_id"] for row in response.data["data"]]
        pages += 1
        cursor = response.data["next_cursor"]
        if cursor is None:
            return seen, pages


def test_walking_all_pages_returns_each_customer_once(api: Any) -> None:
    ids = [f"p-{i:02d}" for i in range(11)]
    for external_id in ids:
        api.post("/customers", {"external_id": external_id})

    seen, pages = walk(api, "/customers", 3)

    assert seen == ids  # oldest first, each exactly once
    assert pages == 4
    assert walk(api, "/customers", 11) == (ids, 1)
    assert walk(api, "/customers", 500) == (ids, 1)
    assert len(api.get("/customers").data["data"]) == 11  # default limit 50


def test_the_customer_list_is_read_in_the_order_of_an_index(workspace: NewWorkspace) -> None:
    """Pages are keyed on the id within a workspace: an index on (workspace, id) serves
    every page without a sort."""
    for i in range(3):
        profiles.create_customer(workspace.workspace, f"ix-{i}", {})
    _, cursor = selectors.list_customers(
        workspace.workspace, q=None, segment=None, cursor=None, limit=1
    )
    indexed = [list(index.fields) for index in Customer._meta.indexes]
    assert ["workspace", "id"] in indexed

    with CaptureQueriesContext(connection) as queries:
        selectors.list_customers(workspace.workspace, q=None, segment=None, cursor=cursor, limit=1)

    sql = queries.captured_queries[0]["sql"]
    assert sql.split("ORDER BY")[1].split("LIMIT")[0].strip().endswith('."id" ASC')
    if connection.vendor == "postgresql":
        index = next(i.name for i in Customer._meta.indexes if i.fields == ["workspace", "id"])
        with connection.cursor() as db:
            db.execute("SET LOCAL enable_seqscan = off")
            db.execute("SET LOCAL enable_sort = off")
            db.execute("SET LOCAL enable_bitmapscan = off")
            db.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in db.fetchall())
        assert index in plan, plan


def test_pages_are_stable_when_customers_are_added_during_the_walk(api: Any) -> None:
    for i in range(4):
        api.post("/customers", {"external_id": f"s-{i}"})
    first = api.get("/customers?limit=2").data

    api.post("/customers", {"external_id": "s-late"})
    rest = api.get("/customers?" + urlencode({"limit": 10, "cursor": first["next_cursor"]}))

    assert [c["external_id"] for c in first["data"]] == ["s-0", "s-1"]
    assert [c["external_id"] for c in rest.data["data"]] == ["s-2", "s-3", "s-late"]


@pytest.mark.parametrize("limit", ["0", "-1", "501", "100000"])
def test_limit_outside_1_to_500_is_422(api: Any, limit: str) -> None:
    response = api.get(f"/customers?limit={limit}")

    assert response.status_code == 422
    assert response.data["code"] == "invalid_limit"
    assert response.data["field"] == "limit"


@pytest.mark.parametrize("limit", ["1", "500"])
def test_limit_bounds_are_inclusive(api: Any, limit: str) -> None:
    api.post("/customers", {"external_id": "one"})
    api.post("/customers", {"external_id": "two"})

    response = api.get(f"/customers?limit={limit}")

    assert response.status_code == 200
    assert len(response.data["data"]) == min(int(limit), 2)


def _tampered_cursors(genuine: str) -> list[str]:
    body, _, signature = genuine.partition(".")
    padded = body + "=" * (-len(body) % 4)
    values = json.loads(base64.urlsafe_b64decode(padded))
    forged = base64.urlsafe_b64encode(json.dumps([values[0] + 1]).encode()).decode().rstrip("=")
    wrong_type = base64.urlsafe_b64encode(json.dumps(["abc"]).encode()).decode().rstrip("=")
    flipped = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    return [
        f"{forged}.{signature}",  # another position under the old signature
        forged,  # unsigned
        wrong_type,
        f"{wrong_type}.{signature}",
        flipped,
        "not-a-cursor",
        genuine + "x",
    ]


def test_tampered_cursors_are_422(api: Any) -> None:
    for i in range(3):
        api.post("/customers", {"external_id": f"t-{i}"})
    genuine = api.get("/customers?limit=1").data["next_cursor"]
    assert api.get("/customers?" + urlencode({"cursor": genuine})).status_code == 200

    for cursor in _tampered_cursors(genuine):
        response = api.get("/customers?" + urlencode({"cursor": cursor}))
        assert response.status_code == 422, cursor
        assert response.data["code"] == "invalid_cursor"
        assert response.data["field"] == "cursor"


def test_a_cursor_of_another_list_is_422(api: Any, order_body: Any) -> None:
    api.post("/customers", {"external_id": "cust-1"})
    api.post("/orders", order_body(external_id="o-1"))
    api.post("/orders", order_body(external_id="o-2"))
    orders_cursor = api.get("/orders?limit=1").data["next_cursor"]
    assert orders_cursor is not None

    response = api.get("/customers?" + urlencode({"cursor": orders_cursor}))

    assert response.status_code == 422
    assert response.data["code"] == "invalid_cursor"


# ------------------------------------------------------------------ typed attributes


TYPED = {
    "city": "Osaka",
    "visits": 3,
    "score": 4.5,
    "vip": True,
    "newsletter": False,
    "joined": "2024-05-01",
}


def test_typed_attributes_keep_their_json_types(api: Any, workspace: NewWorkspace) -> None:
    api.put("/customers/c-1", {"attributes": TYPED})

    body = api.get("/customers/c-1").data
    attributes = body["attributes"]

    assert attributes == TYPED
    for key, value in TYPED.items():
        assert type(attributes[key]) is type(value), key
    definitions = dict(
        AttributeDefinition.objects.for_workspace(workspace.workspace).values_list("key", "type")
    )
    assert definitions == {
        "city": "string",
        "visits": "number",
        "score": "number",
        "vip": "boolean",
        "newsletter": "boolean",
        "joined": "date",
    }


@pytest.mark.parametrize(
    ("key", "value", "declared", "got"),
    [
        ("visits", "three", "number", "string"),
        ("visits", True, "number", "boolean"),
        ("vip", 1, "boolean", "number"),
        ("vip", "yes", "boolean", "string"),
        ("joined", "soon", "date", "string"),
        ("joined", 20240501, "date", "number"),
        ("city", 5, "string", "number"),
        ("city", False, "string", "boolean"),
    ],
)
def test_writing_another_type_later_is_422(
    api: Any, key: str, value: Any, declared: str, got: str
) -> None:
    api.put("/customers/c-1", {"attributes": TYPED})

    # The type belongs to the workspace's attribute, so another customer is held to it too.
    response = api.put("/customers/c-2", {"attributes": {key: value, "other": "x"}})

    assert response.status_code == 422
    assert response.data["code"] == "attribute_type_mismatch"
    assert response.data["field"] == f"attributes.{key}"
    assert declared in response.data["message"]
    assert got in response.data["message"]
    assert api.get("/customers/c-2").status_code == 404
    assert api.patch("/customers/c-1", {"attributes": {key: value}}).status_code == 422
    assert api.get("/customers/c-1").data["attributes"] == TYPED


def test_compatible_later_writes_are_accepted(api: Any) -> None:
    api.put("/customers/c-1", {"attributes": TYPED})

    response = api.patch(
        "/customers/c-1",
        {"attributes": {"visits": 7.5, "city": "2024-01-01", "joined": "2025-12-31"}},
    )

    assert response.status_code == 200
    assert response.data["attributes"]["visits"] == 7.5
    assert response.data["attributes"]["city"] == "2024-01-01"  # a string may look like a date
    assert response.data["attributes"]["joined"] == "2025-12-31"


@pytest.mark.parametrize(
    ("attributes", "code", "field"),
    [
        ({"born": "2024-02-30"}, "invalid_date", "attributes.born"),
        ({"1st": "x"}, "invalid_attribute_name", "attributes.1st"),
        ({"has space": "x"}, "invalid_attribute_name", "attributes.has space"),
        ({"trailing\n": "x"}, "invalid_attribute_name", "attributes.trailing\n"),
        ({"nested": {"a": 1}}, "invalid_attribute_value", "attributes.nested"),
        ({"listed": [1, 2]}, "invalid_attribute_value", "attributes.listed"),
        ({"huge": 10**16}, "invalid_number", "attributes.huge"),
        ({"long": "x" * 1001}, "too_long", "attributes.long"),
    ],
)
def test_invalid_attributes_are_422(
    api: Any, attributes: dict[str, Any], code: str, field: str
) -> None:
    response = api.put("/customers/c-1", {"attributes": attributes})

    assert response.status_code == 422
    assert response.data["code"] == code
    assert response.data["field"] == field
    assert Customer.objects.count() == 0
    assert AttributeDefinition.objects.count() == 0


def test_at_most_100_attributes(api: Any) -> None:
    many = {f"a{i}": i for i in range(100)}
    assert api.put("/customers/c-1", {"attributes": many}).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        response = api.patch("/customers/c-1", {"attributes": {"one_more": 1}})

    assert response.status_code == 422
    assert response.data["code"] == "too_many_attributes"
    assert response.data["field"] == "attributes"
    assert not AttributeDefinition.objects.filter(key="one_more").exists()
    assert not definitions_written(queries), "refused before any definition is written"


def test_deleting_makes_room_for_new_attributes(api: Any) -> None:
    api.put("/customers/c-1", {"attributes": {f"a{i}": i for i in range(100)}})

    response = api.patch("/customers/c-1", {"attributes": {"a0": None, "one_more": 1}})

    assert response.status_code == 200
    assert len(response.data["attributes"]) == 100
    assert response.data["attributes"]["one_more"] == 1


def definitions_written(queries: CaptureQueriesContext) -> list[str]:
    table = AttributeDefinition._meta.db_table
    return [
        q["sql"]
        for q in queries.captured_queries
        if table in q["sql"] and q["sql"].lstrip().upper().startswith("INSERT")
    ]


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("count", [101, 5_000])
def test_more_than_100_attributes_in_a_body_are_refused_before_any_write(
    api: Any, method: str, count: int
) -> None:
    if method == "patch":
        api.put("/customers/c-1", {"email": "keep@example.com"})
    body = {"attributes": {f"k{i}": i for i in range(count)}}

    with CaptureQueriesContext(connection) as queries:
        if method == "post":
            response = api.post("/customers", {"external_id": "c-1", **body})
        else:
            response = getattr(api, method)("/customers/c-1", body)

    assert response.status_code == 422
    assert response.data["code"] == "too_many_attributes"
    assert response.data["field"] == "attributes"
    assert AttributeDefinition.objects.count() == 0
    assert not definitions_written(queries)
    if method == "patch":
        assert api.get("/customers/c-1").data["attributes"] == {}
    else:
        assert Customer.objects.count() == 0


def test_the_schema_documents_the_attribute_limit() -> None:
    attributes = CustomerFields.model_json_schema()["properties"]["attributes"]
    assert {"type": "object", "maxProperties": 100}.items() <= attributes["anyOf"][0].items()


def test_services_count_attributes_before_touching_the_database(workspace: NewWorkspace) -> None:
    too_many = {f"k{i}": i for i in range(101)}
    held = {f"h{i}": i for i in range(60)}

    with CaptureQueriesContext(connection) as queries:
        for current, incoming in [({}, too_many), (held, {f"n{i}": i for i in range(41)})]:
            with pytest.raises(ValidationFailed) as refused:
                attributes.merge_attributes(workspace.workspace, current, incoming, "rows[0].")
            assert refused.value.code == "too_many_attributes"
            assert refused.value.field == "rows[0].attributes"

    assert queries.captured_queries == []


# ------------------------------------------------------------------ consent


def test_consents_per_channel_with_history(api: Any, workspace: NewWorkspace) -> None:
    api.put(
        "/customers/c-1",
        {
            "consents": {
                "email_marketing": {"status": "granted", "updated_at": "2026-01-10T00:00:00Z"},
                "sms_marketing": {"status": "denied", "updated_at": "2026-01-10T00:00:00Z"},
            }
        },
    )

    response = api.patch(
        "/customers/c-1",
        {
            "consents": {
                "email_marketing": {"status": "denied", "updated_at": "2026-02-01T09:00:00+09:00"}
            }
        },
    )

    assert response.status_code == 200
    assert response.data["consents"] == {
        "email_marketing": {"status": "denied", "updated_at": "2026-02-01T00:00:00Z"},
        "sms_marketing": {"status": "denied", "updated_at": "2026-01-10T00:00:00Z"},
    }
    assert changes(workspace, "c-1") == [
        ("email_marketing", "", "granted"),
        ("sms_marketing", "", "denied"),
        ("email_marketing", "granted", "denied"),
    ]
    latest = ConsentChange.objects.order_by("-id").first()
    assert latest is not None
    assert latest.source == "api"
    assert latest.occurred_at.isoformat() == "2026-02-01T00:00:00+00:00"


def test_consent_news_older_than_what_is_held_is_ignored(api: Any, workspace: NewWorkspace) -> None:
    api.put(
        "/customers/c-1",
        {
            "consents": {
                "email_marketing": {"status": "granted", "updated_at": "2026-01-10T00:00:00Z"}
            }
        },
    )
    before = outbox(workspace)

    response = api.patch(
        "/customers/c-1",
        {
            "consents": {
                "email_marketing": {"status": "denied", "updated_at": "2026-01-09T23:59:59Z"}
            }
        },
    )

    assert response.status_code == 200
    assert response.data["consents"]["email_marketing"] == {
        "status": "granted",
        "updated_at": "2026-01-10T00:00:00Z",
    }
    assert changes(workspace, "c-1") == [("email_marketing", "", "granted")]
    assert outbox(workspace) == before


def test_repeating_the_current_consent_records_nothing(api: Any, workspace: NewWorkspace) -> None:
    body = {"consents": {"surveys": {"status": "pending", "updated_at": "2026-01-10T00:00:00Z"}}}
    api.put("/customers/c-1", body)
    before = outbox(workspace)

    later = {"consents": {"surveys": {"status": "pending", "updated_at": "2026-03-01T00:00:00Z"}}}
    assert api.put("/customers/c-1", later).status_code == 200

    assert changes(workspace, "c-1") == [("surveys", "", "pending")]
    assert outbox(workspace) == before


def test_consent_without_a_date_is_dated_now(api: Any) -> None:
    started = now()
    response = api.put("/customers/c-1", {"consents": {"push_marketing": {"status": "granted"}}})

    assert response.status_code == 201
    change = ConsentChange.objects.get()
    assert started <= change.occurred_at <= now()


@pytest.mark.parametrize(
    ("consents", "code", "field"),
    [
        ({"fax": {"status": "granted"}}, "unknown_consent_channel", "consents.fax"),
        (
            {"email_marketing": {"status": "maybe"}},
            "invalid_choice",
            "consents.email_marketing.status",
        ),
        ({"email_marketing": {}}, "required", "consents.email_marketing.status"),
        (
            {"email_marketing": {"status": "granted", "updated_at": "2026-01-10T00:00:00"}},
            "datetime_without_offset",
            "consents.email_marketing.updated_at",
        ),
    ],
)
def test_invalid_consents_are_422(
    api: Any, workspace: NewWorkspace, consents: dict[str, Any], code: str, field: str
) -> None:
    api.put("/customers/c-1", {})

    response = api.patch("/customers/c-1", {"consents": consents})

    assert response.status_code == 422
    assert response.data["code"] == code
    assert response.data["field"] == field
    assert ConsentChange.objects.count() == 0


def test_consent_dated_in_the_future_is_422(api: Any) -> None:
    tomorrow = (now() + timedelta(hours=1)).isoformat()

    response = api.put(
        "/customers/c-1",
        {"consents": {"sms_marketing": {"status": "granted", "updated_at": tomorrow}}},
    )

    assert response.status_code == 422
    assert response.data["code"] == "occurred_in_future"
    assert response.data["field"] == "consents.sms_marketing.updated_at"
    assert Customer.objects.count() == 0


# ------------------------------------------------------------------ profile validation


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "invalid_email"),
        ("email", "a@b", "invalid_email"),
        ("phone", "090-1234-5678", "invalid_phone"),
        ("phone", "+0123456789", "invalid_phone"),
        ("phone", "+８１９０１２３４５６７８", "invalid_phone"),
        ("locale", "en_US", "invalid_locale"),
        ("locale", "JA", "invalid_locale"),
        ("timezone", "Mars/Olympus_Mons", "invalid_timezone"),
        ("timezone", "JST", "invalid_timezone"),
        ("birthdate", "2999-01-01", "invalid_birthdate"),
        ("birthdate", "1899-12-31", "invalid_birthdate"),
        ("birthdate", "1990-13-01", "invalid_type"),
        ("birthdate", "1990-04-01T00:00:00", "invalid_type"),
        ("birthdate", 638928000, "invalid_type"),
        ("first_name", "x" * 101, "too_long"),
        ("email", 5, "invalid_type"),
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_invalid_profile_fields_are_named(
    api: Any, method: str, field: str, value: Any, code: str
) -> None:
    if method == "patch":
        api.put("/customers/c-1", {"email": "keep@example.com"})
    if method == "post":
        response = api.post("/customers", {"external_id": "c-1", field: value})
    else:
        response = getattr(api, method)("/customers/c-1", {field: value})

    assert response.status_code == 422
    assert response.data["code"] == code
    assert response.data["field"] == field
    if method == "patch":
        assert api.get("/customers/c-1").data["email"] == "keep@example.com"
    else:
        assert Customer.objects.count() == 0


def test_unknown_fields_are_refused(api: Any) -> None:
    response = api.post("/customers", {"external_id": "c-1", "nickname": "Al"})

    assert response.status_code == 422
    assert response.data["code"] == "unknown_field"
    assert response.data["field"] == "nickname"


@pytest.mark.parametrize("external_id", ["", "a b", "a/b", "x" * 129, "line\n"])
def test_invalid_external_id_on_create(api: Any, external_id: str) -> None:
    response = api.post("/customers", {"external_id": external_id})

    assert response.status_code == 422
    assert response.data["field"] == "external_id"
    assert Customer.objects.count() == 0


# ------------------------------------------------------------------ outbox events


def test_create_writes_customer_created(api: Any, workspace: NewWorkspace) -> None:
    api.post("/customers", {"external_id": "c-1", "email": "a@example.com"})

    assert outbox(workspace) == [
        {"type": "customer.created", "customer_id": "c-1", "source": "api"}
    ]


def test_updates_write_customer_updated_with_what_changed(
    api: Any, workspace: NewWorkspace
) -> None:
    api.put("/customers/c-1", {"email": "a@example.com", "attributes": {"city": "Osaka"}})

    api.put(
        "/customers/c-1",
        {"email": "A@EXAMPLE.COM", "first_name": "Aiko", "attributes": {"city": "Kyoto"}},
    )
    api.patch("/customers/c-1", {"phone": "+819012345678"})

    assert outbox(workspace, "customer.updated") == [
        {"type": "customer.updated", "customer_id": "c-1", "changed": ["first_name", "attributes"]},
        {"type": "customer.updated", "customer_id": "c-1", "changed": ["phone"]},
    ]


def test_writes_that_change_nothing_emit_nothing(api: Any, workspace: NewWorkspace) -> None:
    body = {
        "email": "a@example.com",
        "first_name": "Aiko",
        "attributes": {"city": "Osaka", "visits": 2},
        "consents": {
            "email_marketing": {"status": "granted", "updated_at": "2026-01-10T00:00:00Z"}
        },
    }
    api.put("/customers/c-1", body)
    before = outbox(workspace)
    updated_at = api.get("/customers/c-1").data["updated_at"]

    assert api.put("/customers/c-1", body).status_code == 200
    assert api.patch("/customers/c-1", {"first_name": "Aiko"}).status_code == 200
    assert api.patch("/customers/c-1", {"attributes": {"gone": None}}).status_code == 200
    assert api.patch("/customers/c-1", {}).status_code == 200

    assert outbox(workspace) == before
    assert api.get("/customers/c-1").data["updated_at"] == updated_at


def test_consent_change_writes_customer_consent_changed(api: Any, workspace: NewWorkspace) -> None:
    api.put("/customers/c-1", {"consents": {"email_marketing": {"status": "granted"}}})
    api.patch("/customers/c-1", {"consents": {"email_marketing": {"status": "denied"}}})

    assert outbox(workspace, "customer.consent_changed") == [
        {
            "type": "customer.consent_changed",
            "customer_id": "c-1",
            "channel": "email_marketing",
            "status": "granted",
            "previous_status": None,
        },
        {
            "type": "customer.consent_changed",
            "customer_id": "c-1",
            "channel": "email_marketing",
            "status": "denied",
            "previous_status": "granted",
        },
    ]
    assert outbox(workspace, "customer.updated") == [
        {
            "type": "customer.updated",
            "customer_id": "c-1",
            "changed": ["consents.email_marketing"],
        }
    ]


def test_failed_writes_emit_nothing(api: Any, workspace: NewWorkspace) -> None:
    api.put("/customers/c-1", {"attributes": {"visits": 1}})
    before = outbox(workspace)

    assert api.patch("/customers/c-1", {"attributes": {"visits": "x"}}).status_code == 422
    assert (
        api.patch("/customers/c-1", {"email": "b@example.com", "phone": "nope"}).status_code == 422
    )

    assert outbox(workspace) == before
    assert api.get("/customers/c-1").data["email"] is None


@pytest.mark.parametrize("reserved", ["export", "import", "imports", "Export"])
def test_ids_that_name_api_paths_are_reserved(api: Any, reserved: str) -> None:
    response = api.post("/customers", {"external_id": reserved})
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == (
        "reserved_external_id",
        "external_id",
    )
    response = api.post(
        "/orders",
        {"external_id": "o-r", "customer_id": reserved, "currency": "USD", "total": "1.00"},
    )
    assert (response.status_code, response.data["field"]) == (422, "customer_id")
    assert Customer.objects.count() == 0


def test_service_callers_get_length_errors_not_database_errors(workspace: NewWorkspace) -> None:
    with pytest.raises(ValidationFailed) as info:
        profiles.upsert_customer(workspace.workspace, "c-long", {"first_name": "x" * 101})
    assert (info.value.code, info.value.field) == ("too_long", "first_name")
    assert Customer.objects.count() == 0


def test_profile_length_limits_match_the_columns() -> None:
    from kizuna.customers.models import PROFILE_MAX_LENGTHS, PROFILE_STRING_FIELDS

    assert set(PROFILE_MAX_LENGTHS) == set(PROFILE_STRING_FIELDS)
    for name, limit in PROFILE_MAX_LENGTHS.items():
        assert getattr(Customer._meta.get_field(name), "max_length", None) == limit, name


def test_a_consent_change_alone_moves_updated_at(api: Any) -> None:
    api.post("/customers", {"external_id": "c-consent-only"})
    created_at = Customer.objects.get().updated_at
    updated = api.patch(
        "/customers/c-consent-only", {"consents": {"sms_marketing": {"status": "granted"}}}
    ).data
    assert updated["consents"]["sms_marketing"]["status"] == "granted"
    moved = Customer.objects.get().updated_at
    assert moved > created_at
    api.patch("/customers/c-consent-only", {"consents": {"sms_marketing": {"status": "granted"}}})
    assert Customer.objects.get().updated_at == moved, "no change, no new updated_at"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index")
def test_search_can_use_the_trigram_index(api: Any, workspace: NewWorkspace) -> None:
    """The planner may read customer_search_trgm for every word of a search: the query's
    expression is the indexed one (with sequential scans off, and no workspace condition for
    another index to serve, only the trigram index can)."""
    api.post("/customers", {"external_id": "c-1", "first_name": "太郎", "last_name": "山田"})
    queryset = selectors.search_customers(Customer.objects.all(), "山田太郎 c-1")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_search_trgm" in plan, plan
    assert [c.external_id for c in queryset] == ["c-1"]
