"""Helpers shared by the API tests: the documented operations, error-body checks and a
snapshot of every row a request could write."""

import json
from functools import cache
from typing import Any

from django.db.models import Model

from kizuna.accounts.models import ApiKey
from kizuna.core.models import IdempotencyRecord, OutboxEvent
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomerErasure,
    CustomEvent,
    TimelineEntry,
)
from kizuna.orders.models import Order, OrderItem, Refund, RefundItem

ERROR_KEYS = {"code", "message", "field", "details", "request_id"}

# Every table a customers/orders/events request may write, plus the idempotency records.
WRITTEN_MODELS: tuple[type[Model], ...] = (
    Customer,
    Consent,
    ConsentChange,
    AttributeDefinition,
    Order,
    OrderItem,
    Refund,
    RefundItem,
    CustomEvent,
    CustomerErasure,
    TimelineEntry,
    OutboxEvent,
    IdempotencyRecord,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN_MODELS}  # type: ignore[attr-defined]


def snapshot() -> dict[str, Any]:
    """Every row of every written table (except the API keys' last use), so that a test can
    tell that a request changed nothing at all, updates included."""
    state: dict[str, Any] = {}
    for model in WRITTEN_MODELS:
        rows = model.objects.order_by("pk").values()  # type: ignore[attr-defined]
        state[model.__name__] = [dict(row) for row in rows]
    state["ApiKey"] = list(ApiKey.objects.order_by("pk").values("pk", "key_hash", "revoked_at"))
    return state


def _workspace_field(model: type[Model]) -> str:
    names = {field.name for field in model._meta.get_fields()}
    if "workspace" in names:
        return "workspace_id"
    owner = next(name for name in ("order", "refund") if name in names)  # items
    return f"{owner}__workspace_id"


def workspace_snapshot(workspace_id: int) -> dict[str, Any]:
    """Every row of every written table that belongs to one workspace, so that a test can
    tell that another workspace's request left them as they were."""
    state: dict[str, Any] = {}
    for model in WRITTEN_MODELS:
        rows = model.objects.filter(**{_workspace_field(model): workspace_id})  # type: ignore[attr-defined]
        state[model.__name__] = [dict(row) for row in rows.order_by("pk").values()]
    return state


def error_of(response: Any) -> dict[str, Any]:
    """The error body, after checking its shape and that it names this response's request."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["details"], list), body
    assert body["request_id"] == response["X-Request-Id"], body
    return body


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = error_of(response)
    assert (body["code"], body["field"]) == (code, field), body
    return body


@cache
def openapi_document() -> dict[str, Any]:
    from kizuna.api.urls import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


SAMPLE_PATH_VALUES = {"customer_id": "cust-1", "external_id": "ord-1"}


def sample_body(method: str, template: str) -> Any:
    """A body that the operation would take from its own workspace's key (an empty object
    for an operation without a sample, or a write without a JSON body): what the tenancy
    matrix sends with another workspace's keys."""
    from conftest import sample_order

    samples: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/customers"): {"external_id": "b-new", "first_name": "Bea"},
        ("PUT", "/api/v1/customers/{customer_id}"): {"first_name": "Mallory"},
        ("PATCH", "/api/v1/customers/{customer_id}"): {"first_name": "Mallory"},
        ("POST", "/api/v1/orders"): sample_order(external_id="ord-b", customer_id="cust-b"),
        ("POST", "/api/v1/orders/{external_id}/status"): {"status": "cancelled"},
        ("POST", "/api/v1/orders/{external_id}/refunds"): {
            "external_id": "ref-b",
            "amount": "1.00",
        },
        ("POST", "/api/v1/events"): {"id": "evt-b", "name": "visit", "customer_id": "cust-b"},
        # Every customer: a preview must show the caller's own only.
        ("POST", "/api/v1/segments/preview"): {"condition": {"all": []}},
        ("POST", "/api/v1/segments"): {"id": "everyone-b", "name": "B", "condition": {"all": []}},
        ("PATCH", "/api/v1/segments/{segment_id}"): {"name": "Renamed"},
        ("POST", "/api/v1/text/analyze"): {"texts": [{"id": "t-1", "text": "Great tea."}]},
    }
    if (method, template) in samples:
        return samples[(method, template)]
    return {} if method in {"POST", "PUT", "PATCH"} else None


def operations() -> list[tuple[str, str, list[str]]]:
    """(METHOD, path template, security scheme names) of every documented operation."""
    result = []
    for template, methods in openapi_document()["paths"].items():
        for method, operation in methods.items():
            schemes = sorted({name for item in operation.get("security", []) for name in item})
            result.append((method.upper(), template, schemes))
    return sorted(result)


def server_operations() -> list[tuple[str, str]]:
    """Operations that only a server key may call."""
    return [(method, path) for method, path, schemes in operations() if schemes == ["ServerKey"]]


def fill_path(template: str) -> str:
    path = template
    for segment in template.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            path = path.replace(segment, SAMPLE_PATH_VALUES.get(segment[1:-1], "x-1"))
    return path
