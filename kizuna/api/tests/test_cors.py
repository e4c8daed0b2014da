"""CORS (ADR 0032): pages on other origins may call the operations a publishable key may
call, and only those; never with credentials; never reading a server key's answers."""

from typing import Any

import pytest
from django.test import Client

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.api.cors import publishable_operations
from kizuna.feedback.models import Display
from kizuna.feedback.tests.response_support import published

ORIGIN = "https://shop.example"


def preflight(path: str, method: str) -> Any:
    return Client().options(
        f"/api/v1{path}",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def cross_origin(key: str, method: str, path: str, body: Any = None) -> Any:
    client = Client(headers={"Authorization": f"Bearer {key}", "Origin": ORIGIN})
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = body
    return getattr(client, method.lower())(f"/api/v1{path}", **kwargs)


def test_the_open_operations_are_exactly_those_a_publishable_key_may_call() -> None:
    opened = {
        (pattern.pattern, method)
        for pattern, methods in publishable_operations()
        for method in methods
    }
    assert opened == {
        (r"/api/v1/surveys/[^/]+/evaluate", "POST"),
        (r"/api/v1/surveys/[^/]+/displays", "POST"),
        (r"/api/v1/surveys/[^/]+/responses", "POST"),
        (r"/api/v1/surveys/[^/]+/eligibility", "POST"),
        (r"/api/v1/surveys/[^/]+/form", "GET"),
        (r"/api/v1/vouchers/[^/]+", "GET"),
        (r"/api/v1/vouchers/[^/]+/qr\.png", "GET"),
        (r"/api/v1/vouchers/[^/]+/qr\.svg", "GET"),
    }


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/surveys/nps/responses", "POST"),
        ("/surveys/nps/displays", "POST"),
        ("/surveys/nps/evaluate", "POST"),
        ("/surveys/nps/eligibility", "POST"),
        ("/surveys/nps/form", "GET"),
    ],
)
def test_a_preflight_of_a_publishable_operation_is_allowed_from_any_origin(
    db: None, path: str, method: str
) -> None:
    answer = preflight(path, method)
    assert answer.status_code == 204
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert answer["Access-Control-Allow-Methods"] == method
    assert answer["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
    )
    assert answer["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in answer
    assert answer.content == b""


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/surveys/nps/responses", "GET"),  # the list: server key only, same path
        ("/surveys/nps", "GET"),
        ("/surveys", "POST"),
        ("/customers", "POST"),
        ("/surveys/nps/export", "GET"),
        ("/surveys/nps/links", "POST"),
        ("/surveys/nps/invitations", "POST"),
        ("/nowhere", "POST"),
    ],
)
def test_a_preflight_of_any_other_operation_is_refused(db: None, path: str, method: str) -> None:
    answer = preflight(path, method)
    assert answer.status_code == 403
    body = answer.json()
    assert (body["code"], body["field"]) == ("cors_not_allowed", None)
    assert "Access-Control-Allow-Origin" not in answer
    assert "Access-Control-Allow-Methods" not in answer


def test_answers_to_a_publishable_key_are_shared_errors_included(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    survey = published(api)
    shown = cross_origin(
        workspace.publishable_key, "POST", f"/surveys/{survey}/displays", {"channel": "widget"}
    )
    assert shown.status_code == 201
    assert shown["Access-Control-Allow-Origin"] == "*"
    assert (
        shown["Access-Control-Expose-Headers"] == "X-Request-Id, Retry-After, Idempotent-Replayed"
    )
    assert "Access-Control-Allow-Credentials" not in shown

    refused = cross_origin(
        workspace.publishable_key, "POST", f"/surveys/{survey}/displays", {"channel": "fax"}
    )
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("invalid_channel", "channel")
    assert refused["Access-Control-Allow-Origin"] == "*"  # the widget can read why
    assert Display.objects.count() == 1


def test_a_server_keys_answers_are_never_shared_with_another_origin(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    survey = published(api)
    shown = cross_origin(
        workspace.server_key, "POST", f"/surveys/{survey}/displays", {"channel": "widget"}
    )
    assert shown.status_code == 201
    assert "Access-Control-Allow-Origin" not in shown
    listed = cross_origin(workspace.server_key, "GET", "/customers")
    assert listed.status_code == 200
    assert "Access-Control-Allow-Origin" not in listed


def test_a_publishable_key_on_a_server_operation_is_not_shared(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    published(api)
    listed = cross_origin(workspace.publishable_key, "GET", "/surveys")
    assert listed.status_code == 403
    assert listed.json()["code"] == "server_key_required"
    assert "Access-Control-Allow-Origin" not in listed


def test_same_origin_and_server_calls_carry_no_cors_headers(
    api: ApiClient, browser_api: ApiClient
) -> None:
    survey = published(api)
    shown = browser_api.post(f"/surveys/{survey}/displays", {"channel": "widget"})
    assert shown.status_code == 201
    assert "Access-Control-Allow-Origin" not in shown
    # An open operation's answer varies with Origin (a cache keeps them apart); others not.
    assert shown["Vary"] == "Origin"
    assert "Origin" not in api.get("/surveys").get("Vary", "")
