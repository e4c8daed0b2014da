"""A key sees and changes its own workspace only; another workspace's objects do not exist
for it. Publishable keys reach no server operation; revoked keys reach nothing."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.accounts.models import ApiKey
from kizuna.accounts.services import NewWorkspace, revoke_api_key
from kizuna.api.tests.support import (
    assert_error,
    fill_path,
    operations,
    sample_body,
    server_operations,
    snapshot,
    workspace_snapshot,
)
from kizuna.customers.models import Customer, CustomEvent
from kizuna.orders.models import Order, Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_data(api: Any, order_body: Any) -> dict[str, Any]:
    """Workspace A: customer shared-1 with an order, a refund, an event and a consent."""
    customer = api.put(
        "/customers/shared-1",
        {
            "email": "aiko@example.com",
            "first_name": "Aiko",
            "attributes": {"tier": "gold"},
            "consents": {"email_marketing": {"status": "granted"}},
        },
    )
    assert customer.status_code == 201
    order = api.post("/orders", order_body(external_id="ord-a", customer_id="shared-1"))
    assert order.status_code == 201
    refund = api.post("/orders/ord-a/refunds", {"external_id": "ref-a", "amount": "1.00"})
    assert refund.status_code == 201
    event = api.post("/events", {"id": "evt-a", "name": "visit", "customer_id": "shared-1"})
    assert event.status_code == 201
    return {
        "customer": api.get("/customers/shared-1").data,
        "order": api.get("/orders/ord-a").data,
        "timeline": api.get("/customers/shared-1/timeline").data,
    }


def _a_unchanged(api: Any, a_data: dict[str, Any]) -> None:
    assert api.get("/customers/shared-1").data == a_data["customer"]
    assert api.get("/orders/ord-a").data == a_data["order"]
    assert api.get("/customers/shared-1/timeline").data == a_data["timeline"]


# Every request of B's key that names one of A's objects by path or filter.
FOREIGN_REQUESTS = [
    ("GET", "/customers/shared-1", None, "customer_not_found", "customer_id"),
    (
        "PATCH",
        "/customers/shared-1",
        {"first_name": "Mallory"},
        "customer_not_found",
        "customer_id",
    ),
    ("GET", "/customers/shared-1/timeline", None, "customer_not_found", "customer_id"),
    ("GET", "/orders?customer_id=shared-1", None, "customer_not_found", "customer_id"),
    ("GET", "/orders/ord-a", None, "order_not_found", None),
    ("POST", "/orders/ord-a/status", {"status": "cancelled"}, "order_not_found", None),
    (
        "POST",
        "/orders/ord-a/refunds",
        {"external_id": "ref-b", "amount": "1.00"},
        "order_not_found",
        None,
    ),
    (
        "POST",
        "/orders/ord-a/refunds",
        {"external_id": "ref-a", "amount": "1.00"},
        "order_not_found",
        None,
    ),
    (
        "POST",
        "/orders/ord-a/refunds",
        {"external_id": "ref-b", "items": [{"sku": "TEA-1", "quantity": 1}]},
        "order_not_found",
        None,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "field"),
    FOREIGN_REQUESTS,
    ids=[f"{r[0]} {r[1]}" for r in FOREIGN_REQUESTS],
)
def test_another_workspaces_objects_are_404(
    api: Any,
    other_api: Any,
    a_data: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    code: str,
    field: str,
) -> None:
    before = snapshot()
    response = other_api.request(method, path, body)
    assert_error(response, 404, code, field)
    assert snapshot() == before
    _a_unchanged(api, a_data)


def test_the_404_is_the_same_as_for_an_object_that_never_existed(
    other_api: Any, a_data: dict[str, Any]
) -> None:
    foreign = other_api.get("/customers/shared-1").data
    absent = other_api.get("/customers/shared-2").data
    assert foreign["message"].replace("shared-1", "X") == absent["message"].replace("shared-2", "X")
    assert (foreign["code"], foreign["field"]) == (absent["code"], absent["field"])


@pytest.mark.parametrize(
    "path",
    [
        "/customers",
        "/customers?q=shared",
        "/customers?q=aiko@example.com",
        "/customers?q=Aiko",
        "/customers?limit=500",
        "/orders",
        "/orders?limit=500",
    ],
)
def test_another_workspaces_objects_are_not_listed(
    other_api: Any, a_data: dict[str, Any], path: str
) -> None:
    response = other_api.get(path)
    assert response.status_code == 200
    assert response.data == {"data": [], "next_cursor": None}


def test_lists_show_only_the_keys_workspace(
    api: Any, other_api: Any, a_data: dict[str, Any], order_body: Any
) -> None:
    assert api.put("/customers/a-2", {"first_name": "Aya"}).status_code == 201
    assert other_api.put("/customers/b-only", {"first_name": "Bo"}).status_code == 201
    order = other_api.post("/orders", order_body(external_id="ord-b", customer_id="b-only"))
    assert order.status_code == 201
    theirs = other_api.get("/customers").data["data"]
    assert [c["external_id"] for c in theirs] == ["b-only"]
    assert [o["external_id"] for o in other_api.get("/orders").data["data"]] == ["ord-b"]
    ours = api.get("/customers").data["data"]
    assert [c["external_id"] for c in ours] == ["shared-1", "a-2"]
    assert [o["external_id"] for o in api.get("/orders").data["data"]] == ["ord-a"]
    # A cursor taken from A's list, used by B, pages through B's customers only.
    cursor = api.get("/customers?limit=1").data["next_cursor"]
    assert cursor is not None
    page = other_api.get(f"/customers?limit=500&cursor={cursor}").data
    assert [c["external_id"] for c in page["data"]] == ["b-only"]


def test_put_with_the_same_external_id_creates_the_other_workspaces_own_customer(
    api: Any, other_api: Any, workspace: NewWorkspace, other_workspace: NewWorkspace, a_data: Any
) -> None:
    response = other_api.put("/customers/shared-1", {"first_name": "Bea", "attributes": {"n": 1}})
    assert response.status_code == 201
    assert response.data["first_name"] == "Bea"
    assert response.data["email"] is None
    assert response.data["attributes"] == {"n": 1}
    assert response.data["consents"] == {}
    again = other_api.put("/customers/shared-1", {"last_name": "Kim"})
    assert again.status_code == 200
    assert (again.data["first_name"], again.data["last_name"]) == ("Bea", "Kim")
    rows = Customer.objects.filter(external_id="shared-1")
    assert sorted(rows.values_list("workspace_id", "first_name")) == sorted(
        [(workspace.workspace.pk, "Aiko"), (other_workspace.workspace.pk, "Bea")]
    )
    _a_unchanged(api, a_data)
    # B's customer has B's timeline only.
    entries = other_api.get("/customers/shared-1/timeline").data["data"]
    assert all(e["kind"] != "order" for e in entries)


def test_natural_keys_are_per_workspace(
    api: Any, other_api: Any, a_data: dict[str, Any], order_body: Any
) -> None:
    created = other_api.post("/customers", {"external_id": "shared-1"})
    assert created.status_code == 201  # not 409: A's customer is invisible to B
    order = other_api.post("/orders", order_body(external_id="ord-a", customer_id="shared-1"))
    assert order.status_code == 201  # B's own order, not A's stored one (200)
    refund = other_api.post("/orders/ord-a/refunds", {"external_id": "ref-a", "amount": "2.00"})
    assert refund.status_code == 201
    assert refund.data["amount"] == "2.00"
    event = other_api.post("/events", {"id": "evt-a", "name": "other", "customer_id": "shared-1"})
    assert event.status_code == 201
    assert event.data["name"] == "other"
    assert Order.objects.filter(external_id="ord-a").count() == 2
    assert Refund.objects.filter(external_id="ref-a").count() == 2
    assert CustomEvent.objects.filter(client_id="evt-a").count() == 2
    _a_unchanged(api, a_data)


# ---------------------------------------------------------------- keys


@pytest.mark.parametrize(("method", "template"), server_operations(), ids=" ".join)
def test_a_publishable_key_gets_403_on_every_server_operation(
    browser_api: Any, a_data: dict[str, Any], method: str, template: str
) -> None:
    before = snapshot()
    body: Any = {} if method in {"POST", "PUT", "PATCH"} else None
    response = browser_api.request(method, fill_path(template), body)
    assert_error(response, 403, "server_key_required")
    assert snapshot() == before


def test_every_operation_names_the_key_it_needs() -> None:
    """New endpoints are covered by the iteration above unless they are declared for
    browsers (AnyKey); an endpoint with neither would escape it."""
    for method, path, schemes in operations():
        assert schemes in (["ServerKey"], ["AnyKey"]), (method, path, schemes)


@pytest.mark.parametrize(("method", "template", "schemes"), operations(), ids=lambda v: str(v))
def test_a_revoked_key_gets_401_everywhere(
    workspace: NewWorkspace, api: Any, a_data: Any, method: str, template: str, schemes: Any
) -> None:
    for api_key in ApiKey.objects.filter(workspace=workspace.workspace):
        revoke_api_key(api_key)
    before = snapshot()
    body: Any = {} if method in {"POST", "PUT", "PATCH"} else None
    response = api.request(method, fill_path(template), body)
    assert_error(response, 401, "invalid_api_key")
    assert response["WWW-Authenticate"] == 'Bearer realm="kizuna"'
    assert snapshot() == before


def test_revoking_one_key_leaves_the_others_working(
    workspace: NewWorkspace, api: Any, browser_api: Any, other_api: Any
) -> None:
    revoke_api_key(ApiKey.objects.get(workspace=workspace.workspace, kind=ApiKey.Kind.PUBLISHABLE))
    assert_error(browser_api.get("/customers"), 401, "invalid_api_key")
    assert api.get("/customers").status_code == 200
    assert other_api.get("/customers").status_code == 200


def test_a_revoked_key_cannot_replay_its_idempotent_responses(
    workspace: NewWorkspace, api: Any, order_body: Any
) -> None:
    first = api.post("/orders", order_body(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    for api_key in ApiKey.objects.filter(workspace=workspace.workspace):
        revoke_api_key(api_key)
    again = api.post("/orders", order_body(), **{"Idempotency-Key": "k-1"})
    assert_error(again, 401, "invalid_api_key")
    assert "Idempotent-Replayed" not in again


def test_another_workspaces_key_cannot_replay_an_idempotent_response(
    api: Any, other_api: Any, order_body: Any
) -> None:
    body = order_body(customer_id="secret-customer")
    assert api.post("/orders", body, **{"Idempotency-Key": "k-1"}).status_code == 201
    theirs = other_api.post("/orders", body, **{"Idempotency-Key": "k-1"})
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Customer.objects.filter(external_id="secret-customer").count() == 2


# ---------------------------------------------------------------- the matrix
# Every operation of the OpenAPI document (later ones included, as they are added), called
# with another workspace's server key, another workspace's publishable key and A's own
# publishable key, naming A's objects in its path: nothing of A's is shown or changed.

# Text that only A's data holds: no request, document or example names it.
SECRET = "tenant-a-secret-7f3c9"
A_PATH_VALUES = {"customer_id": "shared-1", "external_id": "ord-a"}
CALLERS = ["other-server-key", "other-publishable-key", "own-publishable-key"]


@pytest.fixture
def a_secrets(api: Any, a_data: dict[str, Any], order_body: Any) -> dict[str, Any]:
    """A's data with the secret in a profile, an attribute, an order and an event."""
    assert (
        api.patch(
            "/customers/shared-1", {"last_name": SECRET, "attributes": {"note": SECRET}}
        ).status_code
        == 200
    )
    order = order_body(external_id="ord-secret", customer_id="shared-1", location=SECRET)
    assert api.post("/orders", order).status_code == 201
    event = {"id": "evt-secret", "name": "visit", "customer_id": "shared-1"}
    assert api.post("/events", {**event, "properties": {"s": SECRET}}).status_code == 201
    return {
        "customer": api.get("/customers/shared-1").data,
        "order": api.get("/orders/ord-a").data,
        "timeline": api.get("/customers/shared-1/timeline").data,
    }


def _a_path(template: str) -> str:
    path = template
    for name, value in A_PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return fill_path(path)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "template", "schemes"), operations(), ids=lambda v: str(v))
def test_no_operation_shows_or_changes_another_workspaces_data(
    workspace: NewWorkspace,
    other_workspace: NewWorkspace,
    a_secrets: dict[str, Any],
    api: Any,
    method: str,
    template: str,
    schemes: list[str],
    caller: str,
) -> None:
    key = {
        "other-server-key": other_workspace.server_key,
        "other-publishable-key": other_workspace.publishable_key,
        "own-publishable-key": workspace.publishable_key,
    }[caller]
    before = workspace_snapshot(workspace.workspace.pk)

    # ApiClient checks the answer against the document and the error shape.
    response = ApiClient(key).request(method, _a_path(template), sample_body(method, template))

    assert response.status_code < 500, response.content[:300]
    server_only = schemes == ["ServerKey"]
    if caller != "other-server-key" and server_only:
        assert_error(response, 403, "server_key_required")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if caller != "own-publishable-key":
        assert SECRET.encode() not in raw, f"{method} {template} showed A's data to {caller}"
    if caller == "other-server-key" and "{" in template and method == "GET":
        assert response.status_code == 404, response.content[:300]
    assert workspace_snapshot(workspace.workspace.pk) == before
    _a_unchanged(api, a_secrets)
