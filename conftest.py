"""Fixtures shared by every app's tests: workspaces with keys, and an API client whose every
response is checked against the OpenAPI document."""

import json
import threading
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import jsonschema
import pytest
from django.db import connection
from django.test import Client

from kizuna.accounts.services import NewWorkspace, create_workspace


@cache
def openapi_document() -> dict[str, Any]:
    from kizuna.api.urls import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def _match_operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    segments = path.rstrip("/").split("/")
    for template, operations in doc["paths"].items():
        parts = template.rstrip("/").split("/")
        if len(parts) != len(segments):
            continue
        if all(
            p == s or (p.startswith("{") and p.endswith("}"))
            for p, s in zip(parts, segments, strict=True)
        ):
            return operations.get(method.lower())
    return None


def check_against_openapi(method: str, path: str, response: Any) -> None:
    """Every documented operation's response must validate against its documented schema."""
    doc = openapi_document()
    operation = _match_operation(doc, method, path.split("?")[0])
    if operation is None:
        return  # unknown paths: their error body is checked by the tests themselves
    status = str(response.status_code)
    documented = operation["responses"].get(status)
    assert documented is not None, f"{method} {path} answered {status}, which is not documented"
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    if documented.get("content") and response.status_code < 400:
        assert media in documented["content"], f"{method} {path}: {media} is not documented"
    if media != "application/json":
        return  # a file (an export): its bytes are checked by the tests themselves
    content = documented.get("content", {}).get("application/json")
    if content is None:
        return
    schema = {**content["schema"], "components": doc.get("components", {})}
    body = json.loads(response.content)
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


# For tests whose requests must really overlap. SQLite runs one writer at a time, so they run
# in the PostgreSQL pass of the suite.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so requests never overlap",
    ),
]


def postgres_only[F: Callable[..., Any]](test: F) -> F:
    """Mark one test as POSTGRES_ONLY (for a module that otherwise runs on both)."""
    for mark in POSTGRES_ONLY:
        test = mark(test)
    return test


def run_together(key: str, calls: list[Callable[[Client], Any]]) -> list[Any]:
    """Run the calls at the same moment, released by a barrier, one thread, test client and
    database connection each; returns their responses in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def work(index: int, call: Callable[[Client], Any]) -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {key}"})
            barrier.wait(timeout=30)
            results[index] = call(client)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert not errors, errors
    done = [r for r in results if r is not None]
    assert len(done) == len(calls)
    return done


def send_together(key: str, requests: list[tuple[str, str, dict[str, Any] | None]]) -> list[Any]:
    """Send each (method, path, body) at the same moment, one thread and connection each."""

    def call(method: str, path: str, body: dict[str, Any] | None) -> Callable[[Client], Any]:
        kwargs: dict[str, Any] = {"content_type": "application/json"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        return lambda client: getattr(client, method.lower())(f"/api/v1{path}", **kwargs)

    return run_together(key, [call(*request) for request in requests])


class ApiClient:
    """A thin JSON client over Django's test client, bound to one API key."""

    def __init__(self, key: str | None) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {key}"} if key else None)

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        if isinstance(body, bytes):
            data: Any = body
        elif body is not None:
            data = json.dumps(body)
        else:
            data = None
        kwargs: dict[str, Any] = {"content_type": "application/json", **extra}
        if data is not None:
            kwargs["data"] = data
        response = getattr(self.client, method.lower())(url, **kwargs)
        assert response.headers.get("X-Request-Id"), "every response carries X-Request-Id"
        if response.status_code >= 400:
            err = json.loads(response.content)
            assert set(err) == {"code", "message", "field", "details", "request_id"}, err
            assert err["request_id"] == response.headers["X-Request-Id"] or headers.get(
                "Idempotency-Key"
            )
        check_against_openapi(method, url, response)
        if response.streaming:  # a file (an export): read it with response.streaming_content
            response.data = None
            return response
        response.data = json.loads(response.content) if response.content else None
        return response

    def get(self, path: str, **headers: str) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("POST", path, body, **headers)

    def put(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("PUT", path, body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("PATCH", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.request("DELETE", path, **headers)


_counter = iter(range(1, 10**9))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and cached key lookups start empty in every test: the suite sends
    thousands of requests (wrong keys among them) from one address. So do the programs'
    setups, cached by primary key and version: a rolled-back test frees both for the next."""
    from django.core.cache import cache as django_cache

    from kizuna.loyalty.services.setup import forget_setups

    django_cache.clear()
    forget_setups()
    yield


@pytest.fixture
def workspace(db: None) -> NewWorkspace:
    return create_workspace(f"shop-{next(_counter)}", "Test shop")


@pytest.fixture
def other_workspace(db: None) -> NewWorkspace:
    return create_workspace(f"other-{next(_counter)}", "Other shop")


@pytest.fixture
def api(workspace: NewWorkspace) -> ApiClient:
    return ApiClient(workspace.server_key)


@pytest.fixture
def other_api(other_workspace: NewWorkspace) -> ApiClient:
    return ApiClient(other_workspace.server_key)


@pytest.fixture
def browser_api(workspace: NewWorkspace) -> ApiClient:
    return ApiClient(workspace.publishable_key)


@pytest.fixture
def anonymous_api(db: None) -> ApiClient:
    return ApiClient(None)


def sample_order(**overrides: Any) -> dict[str, Any]:
    """A valid paid order whose totals add up: 30.00 - 5.00 + 4.00 + 2.00 = 31.00."""
    body: dict[str, Any] = {
        "external_id": "ord-1",
        "customer_id": "cust-1",
        "status": "paid",
        "currency": "USD",
        "subtotal": "30.00",
        "discount_total": "5.00",
        "shipping_total": "4.00",
        "tax_total": "2.00",
        "total": "31.00",
        "channel": "online",
        "occurred_at": "2026-03-01T10:00:00+09:00",
        "items": [
            {
                "sku": "TEA-1",
                "name": "Sencha",
                "category": "tea",
                "quantity": 2,
                "unit_price": "10.00",
            },
            {
                "sku": "CUP-1",
                "name": "Cup",
                "category": "ware",
                "quantity": 1,
                "unit_price": "10.00",
            },
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def order_body() -> Any:
    return sample_order


# Server processes against the test database (kill-and-restart and served tests). They need
# PostgreSQL: SQLite's test database lives in the test process's memory.
def server_database_url() -> str:
    """The URL of the test database, for a server process the test starts."""
    from urllib.parse import quote

    from django.conf import settings

    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float = 30) -> bool:
    """Whether something accepts connections on `port` within `seconds`."""
    import socket
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class RunServer:
    """`manage.py runserver` (threaded) on a free port, against the test database."""

    def __init__(self) -> None:
        import os
        import subprocess
        import sys
        from pathlib import Path

        root = Path(__file__).resolve().parent
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": server_database_url()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port):
            self.process.kill()
            raise RuntimeError("the server did not start")

    def post(self, path: str, body: dict[str, Any], key: str, idem: str) -> tuple[int, Any]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": idem,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def kill(self) -> None:
        import signal

        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def servers() -> Iterator[list[RunServer]]:
    """Servers a test starts (append them); stopped at its end."""
    started: list[RunServer] = []
    yield started
    for server in started:
        server.stop()


class SmtpInbox:
    """Messages a real SMTP server on loopback received (aiosmtpd), parsed. With `refusing`
    set, the server refuses every message (451, a temporary failure), as a server that is
    down for a while would."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusing = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        if self.refusing:
            return "451 4.3.0 Try again later"

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpInbox]:
    """A real SMTP server on a free loopback port, and the settings that send to it."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()
