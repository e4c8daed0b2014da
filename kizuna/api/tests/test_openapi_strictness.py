"""The OpenAPI document is as strict as the server: what a generated client accepts, the server
accepts, and what the server refuses for its form, the document refuses too."""

import re
from typing import Any

import pytest

from kizuna.api.tests.support import openapi_document
from kizuna.core import idempotency
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import EXTERNAL_ID_MAX_LENGTH, EXTERNAL_ID_PATTERN
from kizuna.core.imports.readers import CONTENT_TYPES, FileFormat
from kizuna.core.pagination import MAX_LIMIT
from kizuna.customers.models import ConsentChannel


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in openapi_document()["paths"].items()
        for method, operation in methods.items()
    ]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = openapi_document()["components"]["schemas"][name]
    return schema


def parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation.get("parameters", []) if p["name"] == name)


def test_every_limit_states_its_bounds() -> None:
    limits = [parameter(op, "limit") for _, _, op in operations() if "limit" in str(op)]
    assert limits
    for limit in limits:
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, MAX_LIMIT)


# Path parameters that carry a client's id (kizuna.core.schemas.PathId), and the numbered
# import runs. Other apps' own ids (a segment's) state their own rule.
CLIENT_IDS = {"customer_id", "external_id"}


def test_every_client_id_in_a_path_states_the_id_rule() -> None:
    checked = 0
    for _, path, operation in operations():
        for name in re.findall(r"{(\w+)}", path):
            schema = parameter(operation, name)["schema"]
            if name == "import_id":
                assert schema["pattern"] == "^[0-9]{1,18}$"
            elif name in CLIENT_IDS:
                assert schema["pattern"] == EXTERNAL_ID_PATTERN, (path, name)
                assert (schema["minLength"], schema["maxLength"]) == (1, EXTERNAL_ID_MAX_LENGTH)
            else:
                continue
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("CustomerCreateIn", "external_id"),
        ("OrderIn", "external_id"),
        ("OrderIn", "customer_id"),
        ("RefundIn", "external_id"),
        ("EventIn", "id"),
        ("EventIn", "customer_id"),
    ],
)
def test_every_id_in_a_body_states_the_id_rule(component: str, field: str) -> None:
    schema = openapi_document()["components"]["schemas"][component]["properties"][field]
    assert schema["pattern"] == EXTERNAL_ID_PATTERN
    assert schema["maxLength"] == EXTERNAL_ID_MAX_LENGTH


def test_closed_lists_are_enums() -> None:
    schemas = openapi_document()["components"]["schemas"]
    consents = next(
        s for s in schemas["CustomerCreateIn"]["properties"]["consents"]["anyOf"] if "type" in s
    )
    assert consents["propertyNames"]["enum"] == list(ConsentChannel.values)
    assert resolve(schemas["ConsentOut"])["properties"]["status"]["enum"] == [
        "granted",
        "denied",
        "pending",
    ]
    order = schemas["OrderOut"]["properties"]
    assert order["status"]["enum"] == ["paid", "pending", "cancelled"]
    assert order["channel"]["enum"] == ["online", "store", "app"]
    attributes = next(
        s for s in schemas["CustomerCreateIn"]["properties"]["attributes"]["anyOf"] if "type" in s
    )
    assert attributes["propertyNames"]["pattern"] == "^[A-Za-z][A-Za-z0-9_]{0,63}$"
    assert attributes["maxProperties"] == 100


def test_the_upload_states_the_file_types_it_takes() -> None:
    body = openapi_document()["paths"]["/api/v1/customers/import"]["post"]["requestBody"]
    encoding = body["content"]["multipart/form-data"]["encoding"]["file"]["contentType"]
    assert "text/csv" in encoding and CONTENT_TYPES[FileFormat.XLSX] in encoding


def test_rate_limited_answers_state_retry_after() -> None:
    for _, _, operation in operations():
        assert operation["responses"]["429"]["headers"]["Retry-After"]["schema"]["type"] == (
            "integer"
        )


def test_the_idempotency_key_pattern_is_the_servers_rule() -> None:
    schema = parameter(openapi_document()["paths"]["/api/v1/orders"]["post"], "Idempotency-Key")
    pattern = re.compile(schema["schema"]["pattern"])
    for code in range(256):  # what a header's Latin-1 text can hold
        char = chr(code)
        try:
            idempotency.check_key(char)
            accepted = True
        except ValidationFailed:
            accepted = False
        assert bool(pattern.fullmatch(char)) == accepted, hex(code)


def test_every_operation_documents_the_servers_own_refusals() -> None:
    for method, path, operation in operations():
        for status in ("411", "414", "431", "503"):
            assert status in operation["responses"], (method, path, status)


def test_operations_that_create_objects_link_to_the_operations_that_use_them() -> None:
    paths = openapi_document()["paths"]
    links = paths["/api/v1/customers"]["post"]["responses"]["201"]["links"]
    assert links["get_customer"]["parameters"] == {"customer_id": "$response.body#/external_id"}
    order_links = paths["/api/v1/orders"]["post"]["responses"]["201"]["links"]
    assert {"get_order", "change_order_status", "refund_order"} <= set(order_links)
    ids = {op["operationId"] for _, _, op in operations()}
    for _, _, operation in operations():
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in ids


# ---------------------------------------------------------------- found by fuzzing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/customers", "/orders", "/customer-attributes", "/customers/cust-1/timeline"],
)
def test_an_empty_cursor_is_not_one_the_api_returned(api: Any, path: str) -> None:
    api.put("/customers/cust-1", {})
    response = api.get(f"{path}?cursor=")
    assert (response.status_code, response.data["code"]) == (422, "invalid_cursor")


@pytest.mark.django_db
def test_an_empty_customer_filter_names_no_customer(api: Any, order_body: Any) -> None:
    assert api.post("/orders", order_body()).status_code == 201
    response = api.get("/orders?customer_id=")
    assert (response.status_code, response.data["code"]) == (404, "customer_not_found")
