"""Rate limits per API key and per client address, by route class, answered 429 with the
error body and Retry-After; configurable per workspace; backed by the cache (the local memory
here, Redis when one answers)."""

import socket
import types
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import ApiClient, sample_order
from kizuna.accounts.services import NewWorkspace
from kizuna.api.tests.support import assert_error
from kizuna.core import throttle
from kizuna.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # the start of a window for every period used here

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def limits(settings: Any) -> Iterator[dict[str, Any]]:
    """The limits of this test: lowered here, the rest as configured."""
    limits = dict(settings.KIZUNA_RATE_LIMITS)
    settings.KIZUNA_RATE_LIMITS = limits
    yield limits


def client(key: str | None, address: str = "203.0.113.7", **extra: Any) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers, REMOTE_ADDR=address, **extra)


def assert_limited(response: Any) -> int:
    body = assert_error(response, 429, "rate_limited")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 120  # at most two windows of the longest period used here
    assert f"retry in {retry_after} s" in body["message"]
    return retry_after


# ---------------------------------------------------------------- wrong keys


def test_200_wrong_keys_in_a_row_from_one_address_are_limited(workspace: NewWorkspace) -> None:
    """With the default limits: 100 wrong keys a minute per address."""
    statuses = []
    for _ in range(200):
        response = client(f"sk_{uuid.uuid4().hex}").get("/api/v1/customers")
        statuses.append(response.status_code)
    assert statuses[:100] == [401] * 100
    assert statuses[100:] == [429] * 100
    assert_limited(client("sk_wrong").get("/api/v1/customers"))
    # The address is refused before any key is looked up, a good one included...
    assert_limited(client(workspace.server_key).get("/api/v1/customers"))
    # ...while other addresses are not.
    assert client(workspace.server_key, "198.51.100.1").get("/api/v1/customers").status_code == 200
    assert client("sk_wrong", "198.51.100.1").get("/api/v1/customers").status_code == 401


def test_the_address_is_let_in_again_once_the_window_has_passed(
    workspace: NewWorkspace, limits: dict[str, Any], clock: Clock
) -> None:
    limits["failed_auth"] = (3, 60)
    for _ in range(3):
        assert client("sk_wrong").get("/api/v1/customers").status_code == 401
    retry_after = assert_limited(client("sk_wrong").get("/api/v1/customers"))
    clock.now += retry_after + 60  # both fixed windows behind
    assert client(workspace.server_key).get("/api/v1/customers").status_code == 200
    assert client("sk_wrong").get("/api/v1/customers").status_code == 401


def test_requests_without_a_key_are_not_counted_as_wrong_keys(limits: dict[str, Any]) -> None:
    limits["failed_auth"] = (2, 60)
    for _ in range(5):
        assert client(None).get("/api/v1/customers").status_code == 401


# ---------------------------------------------------------------- per key and route class


def test_reads_and_writes_of_a_server_key_have_their_own_budgets(
    workspace: NewWorkspace, other_workspace: NewWorkspace, limits: dict[str, Any], clock: Clock
) -> None:
    limits["read"] = (3, 60)
    limits["write"] = (2, 60)
    mine = client(workspace.server_key)
    for _ in range(3):
        assert mine.get("/api/v1/customers").status_code == 200
    assert_limited(mine.get("/api/v1/customers"))
    head = mine.head("/api/v1/customers")
    assert (head.status_code, head.content) == (429, b"")
    assert int(head["Retry-After"]) >= 1
    assert mine.put("/api/v1/customers/c-1", "{}", "application/json").status_code == 201
    assert mine.patch("/api/v1/customers/c-1", "{}", "application/json").status_code == 200
    assert_limited(mine.put("/api/v1/customers/c-1", "{}", "application/json"))
    # Another key, another budget, from the same address.
    assert client(other_workspace.server_key).get("/api/v1/customers").status_code == 200
    clock.now += 120
    assert mine.get("/api/v1/customers").status_code == 200


def test_a_refused_request_does_not_use_up_the_budget(
    workspace: NewWorkspace, limits: dict[str, Any], clock: Clock
) -> None:
    limits["read"] = (2, 60)
    mine = client(workspace.server_key)
    assert mine.get("/api/v1/customers").status_code == 200
    assert mine.get("/api/v1/customers").status_code == 200
    clock.now += 30
    for _ in range(20):
        retry_after = assert_limited(mine.get("/api/v1/customers"))
    # Once the window is over, the two first requests weigh less and less: after half of the
    # next one, one more fits. Had the twenty refused ones been counted, it would not.
    assert retry_after == 60
    clock.now += retry_after - 1
    assert_limited(mine.get("/api/v1/customers"))
    clock.now += 1
    assert mine.get("/api/v1/customers").status_code == 200


def test_a_workspace_can_have_its_own_limits(
    workspace: NewWorkspace, other_workspace: NewWorkspace, settings: Any
) -> None:
    settings.KIZUNA_RATE_LIMITS_BY_WORKSPACE = {workspace.workspace.slug: {"read": (1, 60)}}
    mine = client(workspace.server_key)
    assert mine.get("/api/v1/customers").status_code == 200
    assert_limited(mine.get("/api/v1/customers"))
    theirs = client(other_workspace.server_key)
    for _ in range(3):
        assert theirs.get("/api/v1/customers").status_code == 200


def test_a_limit_can_be_turned_off(workspace: NewWorkspace, limits: dict[str, Any]) -> None:
    limits["read"] = None
    for _ in range(50):
        assert client(workspace.server_key).get("/api/v1/customers").status_code == 200


def test_publishable_keys_are_limited_per_client_address(
    workspace: NewWorkspace, limits: dict[str, Any]
) -> None:
    limits["public"] = (2, 60)
    for _ in range(2):
        response = client(workspace.publishable_key).get("/api/v1/customers")
        assert response.status_code == 403  # counted whatever the answer
    assert_limited(client(workspace.publishable_key).get("/api/v1/customers"))
    other_visitor = client(workspace.publishable_key, "198.51.100.9")
    assert other_visitor.get("/api/v1/customers").status_code == 403


def test_a_refused_post_keeps_its_idempotency_key_free(
    workspace: NewWorkspace, limits: dict[str, Any], clock: Clock
) -> None:
    limits["write"] = (1, 60)
    api = ApiClient(workspace.server_key)
    assert api.post("/customers", {"external_id": "c-0"}).status_code == 201
    headers = {"Idempotency-Key": "order-1"}
    assert_limited(api.post("/orders", sample_order(), **headers))
    assert not IdempotencyRecord.objects.exists()
    clock.now += 180
    assert api.post("/orders", sample_order(), **headers).status_code == 201
    assert IdempotencyRecord.objects.count() == 1


# ---------------------------------------------------------------- client address


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    workspace: NewWorkspace, limits: dict[str, Any], settings: Any
) -> None:
    limits["failed_auth"] = (1, 60)
    proxy = "10.0.0.5"

    def via(forwarded: str, remote: str = proxy) -> int:
        return (
            client("sk_wrong", remote, HTTP_X_FORWARDED_FOR=forwarded)
            .get("/api/v1/customers")
            .status_code
        )

    # Untrusted: the forwarded header is the client's to invent, and ignored.
    assert via("198.51.100.1") == 401
    assert via("198.51.100.2") == 429
    cache.clear()
    import ipaddress

    settings.KIZUNA_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    assert via("198.51.100.1") == 401
    assert via("198.51.100.2") == 401  # another client behind the proxy
    assert via("198.51.100.1") == 429
    # The first untrusted hop from the right: a client cannot hide behind a made-up hop.
    assert via("1.2.3.4, 198.51.100.1") == 429
    assert via("198.51.100.1, 10.0.0.9") == 429
    # IPv6 clients count by their /64.
    assert via("2001:db8:1:2::1") == 401
    assert via("2001:db8:1:2::ffff") == 429


# ---------------------------------------------------------------- Redis


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_the_limits_count_in_redis(
    workspace: NewWorkspace, limits: dict[str, Any], settings: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
            "KEY_PREFIX": f"kizuna-test-{uuid.uuid4().hex}",
        }
    }
    limits["read"] = (3, 60)
    try:
        mine = client(workspace.server_key)
        for _ in range(3):
            assert mine.get("/api/v1/customers").status_code == 200
        assert_limited(mine.get("/api/v1/customers"))
        redis: Any = cache
        server = redis._cache.get_client()
        keys = server.keys(f"*{settings.CACHES['default']['KEY_PREFIX']}*")
        # Every counter expires: none is left behind by a race between INCR and EXPIRE.
        assert keys and all(server.ttl(key) > 0 for key in keys)
    finally:
        cache.clear()
