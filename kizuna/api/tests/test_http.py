"""HTTP details every route inherits: HEAD wherever GET works, and bodies sent with chunked
transfer encoding (read, or refused with 411: never taken as empty). The same behaviour
behind a real gunicorn is in test_gunicorn.py."""

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart

from kizuna.accounts.services import NewWorkspace
from kizuna.api.tests.support import assert_error, fill_path, operations, snapshot
from kizuna.customers.models import Customer, CustomerImport

pytestmark = pytest.mark.django_db

# Headers that differ between any two responses.
VARYING = {"X-Request-Id", "Date"}


@pytest.fixture
def data(api: Any, order_body: Any) -> None:
    assert api.put("/customers/cust-1", {"first_name": "Ann"}).status_code == 201
    assert api.post("/orders", order_body()).status_code == 201


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VARYING}


GET_PATHS = [
    *sorted({fill_path(t) for m, t, _ in operations() if m == "GET"}),
    "/api/v1/customers?limit=1",
    "/api/v1/customers/nobody",
    "/api/v1/nothing",
    "/api/openapi.json",
    "/api/docs",
]


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_answers_what_get_answers_without_the_body(
    workspace: NewWorkspace, data: None, path: str
) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    get: Any = client.get(path)
    body = b"".join(get.streaming_content) if get.streaming else get.content
    before = snapshot()

    head: Any = client.head(path)

    assert head.status_code == get.status_code
    assert _headers(head) == _headers(get)
    assert (b"".join(head.streaming_content) if head.streaming else head.content) == b""
    assert head["X-Request-Id"]
    if not get.streaming:
        assert head["Content-Length"] == str(len(body))
    assert snapshot() == before


def test_every_get_operation_of_the_document_is_covered() -> None:
    documented = {t for m, t, _ in operations() if m == "GET"}
    assert documented, "the walk above takes every GET operation of the OpenAPI document"
    assert {fill_path(t) for t in documented} <= set(GET_PATHS)


def test_head_where_get_is_not_allowed_is_405(workspace: NewWorkspace) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    response = client.head("/api/v1/events")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.content == b""


def test_head_needs_the_key_get_needs(db: None) -> None:
    response = Client().head("/api/v1/customers")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="kizuna"'
    assert response.content == b""


# ---------------------------------------------------------------- chunked bodies


def chunked(client: Client, path: str, body: bytes, content_type: str, **extra: Any) -> Any:
    """A request as a server that decodes chunked bodies hands it over: no Content-Length,
    `Transfer-Encoding: chunked`, and the input ended (gunicorn's `wsgi.input_terminated`)."""
    environ = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        **extra,
    }
    return client.generic("POST", path, body, content_type=content_type, **environ)


def test_a_chunked_json_body_is_read(workspace: NewWorkspace) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    body = json.dumps({"external_id": "c-chunked", "first_name": "Chunk"}).encode()
    response = chunked(client, "/api/v1/customers", body, "application/json")
    assert response.status_code == 201, response.content
    assert Customer.objects.get().first_name == "Chunk"


def test_a_chunked_upload_is_read(workspace: NewWorkspace) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    upload = SimpleUploadedFile("c.csv", b"external_id\nc-1\nc-2\n")
    body = encode_multipart("BoUnDaRy", {"file": upload})
    response = chunked(
        client, "/api/v1/customers/import", body, "multipart/form-data; boundary=BoUnDaRy"
    )
    assert response.status_code == 202, response.content
    assert CustomerImport.objects.get().total_rows == 2


def test_a_chunked_body_over_the_limit_is_413(workspace: NewWorkspace, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    body = json.dumps({"external_id": "c-1", "last_name": "x" * 20 * 1024 * 1024}).encode()
    before = snapshot()
    response = chunked(client, "/api/v1/customers", body, "application/json")
    assert_error(response, 413, "request_too_large")
    assert snapshot() == before


def test_a_chunked_body_the_server_does_not_end_is_411(workspace: NewWorkspace) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    body = json.dumps({"external_id": "c-1"}).encode()
    response = chunked(
        client, "/api/v1/customers", body, "application/json", **{"wsgi.input_terminated": False}
    )
    error = assert_error(response, 411, "length_required")
    assert "Content-Length" in error["message"]
    assert not Customer.objects.exists()
