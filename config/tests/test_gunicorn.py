"""The product behind a real gunicorn, configured as in production (config/gunicorn.conf.py):
the server's own limits answer in the JSON error shape, a worker timeout is answered and logged
with the request id, chunked bodies are read, HEAD works, an encoded slash in a path id is
refused. Needs PostgreSQL: the server shares the test database."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from conftest import free_port, server_database_url, wait_for_port
from kizuna.accounts.services import NewWorkspace, create_workspace
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer, CustomerImport

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ERROR_KEYS = {"code", "message", "field", "details", "request_id"}


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared with a server process; runs in the PostgreSQL pass")


class Gunicorn:
    def __init__(self, log: Path, app: str | None = None, **env: str) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"]
        if app:
            command.append(app)
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "DATABASE_URL": server_database_url(),
                "KIZUNA_WEB_BIND": f"127.0.0.1:{self.port}",
                "KIZUNA_WEB_WORKERS": "1",
                **env,
            },
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        if not wait_for_port(self.port):
            self.stop()
            raise RuntimeError("gunicorn did not start:\n" + log.read_text())

    def send(self, raw: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        """Send raw bytes; the status, headers (lower-cased names) and body of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(raw)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = _unchunk(body)
        return status, headers, body

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def request(
    method: str, path: str, key: str | None = None, *, body: bytes | None = None, **headers: str
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    if (
        body is not None
        and "Transfer-Encoding" not in headers
        and "transfer_encoding" not in {n.lower() for n in headers}
    ):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def chunks(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def assert_json_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> Any:
    assert status == expected, body[:300]
    assert headers["content-type"] == "application/json; charset=utf-8"
    error = json.loads(body)
    assert set(error) == ERROR_KEYS
    assert error["request_id"] == headers["x-request-id"]
    return error


@pytest.fixture
def keys() -> NewWorkspace:
    return create_workspace("served-shop", "Served shop")


@pytest.fixture(scope="module")
def server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """One server for the module, on the test database (set up before it starts)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared with a server process; runs in the PostgreSQL pass")
    started = Gunicorn(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield started
    started.stop()


# ---------------------------------------------------------------- gunicorn's own limits


def test_a_request_line_over_the_limit_is_a_json_414(server: Gunicorn, keys: NewWorkspace) -> None:
    raw = request("GET", "/api/v1/customers?q=" + "x" * 9000, keys.server_key)
    error = assert_json_error(*server.send(raw), 414)
    assert error["code"] == "request_line_too_long"


@pytest.mark.parametrize(
    "headers",
    [{"X-Big": "y" * 9000}, {f"X-Header-{n}": "1" for n in range(101)}],
    ids=["one-header-too-long", "too-many-headers"],
)
def test_headers_over_the_limit_are_a_json_431(
    server: Gunicorn, keys: NewWorkspace, headers: dict[str, Any]
) -> None:
    raw = request("GET", "/api/v1/customers", keys.server_key, **headers)
    error = assert_json_error(*server.send(raw), 431)
    assert error["code"] == "headers_too_large"


def test_an_unreadable_request_is_a_json_400(server: Gunicorn) -> None:
    error = assert_json_error(*server.send(b"NOT AN HTTP REQUEST\r\n\r\n"), 400)
    assert error["code"] == "malformed_request"


def test_a_worker_timeout_is_answered_and_logged_with_the_request_id(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    slow = Gunicorn(log, "config.tests.slow_app:application", KIZUNA_WEB_TIMEOUT="2")
    try:
        raw = request("POST", "/api/v1/test-slow", body=b"", X_Request_Id="slow-request-0001")
        started = time.monotonic()
        status, headers, body = slow.send(raw, timeout=60)
        elapsed = time.monotonic() - started
        # The server goes on: a new worker answers the next request.
        after = slow.send(request("GET", "/healthz"))[0]
    finally:
        slow.stop()
    error = assert_json_error(status, headers, body, 503)
    assert (error["code"], error["request_id"]) == ("request_timeout", "slow-request-0001")
    assert "(2 s)" in error["message"]
    assert elapsed < 30
    assert after == 200
    logged = log.read_text()
    assert "Worker timeout after 2 s: POST /api/v1/test-slow [slow-request-0001]" in logged
    assert "time.sleep(120)" in logged  # where it was stuck
    # The request's transaction went with it.
    assert not Workspace.objects.filter(slug="written-by-a-slow-request").exists()


# ---------------------------------------------------------------- behind gunicorn


def test_a_chunked_json_body_is_read(server: Gunicorn, keys: NewWorkspace) -> None:
    body = json.dumps({"external_id": "c-chunked", "first_name": "Chunk"}).encode()
    raw = request(
        "POST",
        "/api/v1/customers",
        keys.server_key,
        body=chunks(body[:10], body[10:]),
        Content_Type="application/json",
        Transfer_Encoding="chunked",
    )
    status, _, answer = server.send(raw)
    assert status == 201, answer
    assert Customer.objects.get().first_name == "Chunk"


def test_a_chunked_upload_is_read(server: Gunicorn, keys: NewWorkspace) -> None:
    boundary = "kizuna-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\nexternal_id\r\nc-1\r\nc-2\r\n--{boundary}--\r\n"
    ).encode()
    raw = request(
        "POST",
        "/api/v1/customers/import",
        keys.server_key,
        body=chunks(body[:50], body[50:]),
        Content_Type=f"multipart/form-data; boundary={boundary}",
        Transfer_Encoding="chunked",
    )
    status, _, answer = server.send(raw)
    assert status == 202, answer
    assert CustomerImport.objects.get().total_rows == 2


def test_head_answers_without_a_body(server: Gunicorn, keys: NewWorkspace) -> None:
    get_status, get_headers, get_body = server.send(
        request("GET", "/api/v1/customers", keys.server_key)
    )
    status, headers, body = server.send(request("HEAD", "/api/v1/customers", keys.server_key))
    assert (status, body) == (get_status, b"")
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))


def test_an_encoded_slash_in_a_path_id_is_422(server: Gunicorn, keys: NewWorkspace) -> None:
    for path in ("/api/v1/customers/a%2Fb", "/api/v1/customers/a%2ftimeline"):
        error = assert_json_error(*server.send(request("GET", path, keys.server_key)), 422)
        assert (error["code"], error["field"]) == ("invalid_external_id", "customer_id")
