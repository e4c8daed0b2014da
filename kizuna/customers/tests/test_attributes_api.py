"""GET /customer-attributes: the workspace's custom attributes and their types."""

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from ninja.testing import TestClient

from kizuna.accounts.services import NewWorkspace
from kizuna.core.schemas import Page
from kizuna.customers.api import attributes_router
from kizuna.customers.models import AttributeDefinition
from kizuna.customers.schemas import AttributeDefinitionOut

pytestmark = pytest.mark.django_db

TYPED = {
    "city": "Osaka",
    "visits": 3,
    "score": 4.5,
    "vip": True,
    "joined": "2024-05-01",
}
EXPECTED_TYPES = [
    ("city", "string"),
    ("joined", "date"),
    ("score", "number"),
    ("vip", "boolean"),
    ("visits", "number"),
]


class RouterClient:
    """The router on its own, as the API layer mounts it: each request carries the
    workspace its key belongs to."""

    def __init__(self, workspace: NewWorkspace) -> None:
        self.workspace = workspace
        self.client = TestClient(attributes_router)

    def get(self, query: str = "") -> Any:
        response = self.client.get(
            "" + (f"?{query}" if query else ""),
            headers={"Authorization": f"Bearer {self.workspace.server_key}"},
            workspace=self.workspace.workspace,
        )
        assert response.status_code == 200, response.content
        Page[AttributeDefinitionOut].model_validate(response.json())
        return response.json()


def _list_everything(get: Any, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        page = get(urlencode(query))
        assert len(page["data"]) <= limit
        rows += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("the pages never ended")


def test_the_router_lists_attributes_with_their_types_by_key(
    api: Any, other_api: Any, workspace: NewWorkspace
) -> None:
    assert api.put("/customers/c-1", {"attributes": TYPED}).status_code == 201
    assert other_api.put("/customers/c-1", {"attributes": {"other_shop": 1}}).status_code == 201
    client = RouterClient(workspace)

    body = client.get()

    assert [(row["key"], row["type"]) for row in body["data"]] == EXPECTED_TYPES
    assert body["next_cursor"] is None
    stored = AttributeDefinition.objects.for_workspace(workspace.workspace).get(key="city")
    shown = datetime.fromisoformat(body["data"][0]["created_at"])
    assert abs(shown - stored.created_at) < timedelta(milliseconds=1)  # shown to the ms


def test_the_router_pages_through_every_attribute_once(api: Any, workspace: NewWorkspace) -> None:
    api.put("/customers/c-1", {"attributes": TYPED})
    api.put("/customers/c-2", {"attributes": {f"extra{i}": i for i in range(6)}})
    client = RouterClient(workspace)

    rows = _list_everything(client.get, limit=2)

    keys = [row["key"] for row in rows]
    assert keys == sorted([*TYPED, *(f"extra{i}" for i in range(6))])


def test_an_empty_workspace_has_no_attributes(workspace: NewWorkspace) -> None:
    assert RouterClient(workspace).get() == {"data": [], "next_cursor": None}


# Through the whole API, mounted at /api/v1/customer-attributes.


def test_get_customer_attributes_over_http(api: Any, other_api: Any, browser_api: Any) -> None:
    api.put("/customers/c-1", {"attributes": TYPED})
    api.put("/customers/c-2", {"attributes": {"city": "2024-01-01"}})  # stays a string
    other_api.put("/customers/c-1", {"attributes": {"other_shop": True}})

    response = api.get("/customer-attributes")

    assert response.status_code == 200
    assert [(row["key"], row["type"]) for row in response.data["data"]] == EXPECTED_TYPES
    assert response.data["next_cursor"] is None
    rows = _list_everything(lambda q: api.get(f"/customer-attributes?{q}").data, limit=2)
    assert [(row["key"], row["type"]) for row in rows] == EXPECTED_TYPES
    assert other_api.get("/customer-attributes").data["data"][0]["key"] == "other_shop"
    assert browser_api.get("/customer-attributes").status_code == 403
    bad = api.get("/customer-attributes?limit=0")
    assert (bad.status_code, bad.data["code"], bad.data["field"]) == (
        422,
        "invalid_limit",
        "limit",
    )
