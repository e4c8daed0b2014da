"""Operations over HTTP: /healthz, /readyz (503 naming the failing part), /metrics."""

from typing import Any

import pytest
from django.test import Client

from conftest import ApiClient, sample_order
from kizuna.api import health

pytestmark = pytest.mark.django_db


def test_healthz_and_readyz_answer_when_every_part_does(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert response.headers["X-Request-Id"]


def test_readyz_names_the_part_that_does_not_answer(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down() -> str:
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "broker", broker_down)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["error"] == "ConnectionError: connection refused"
    assert body["checks"]["database"]["ok"] is True


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(
            f'{k}="{v}"' in line for k, v in labels.items()
        ):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_route_and_read_the_outbox(
    client: Client, api: ApiClient
) -> None:
    before = _sample(
        client.get("/metrics").content.decode(),
        "kizuna_http_requests_total",
        route="/api/v1/orders",
        status="201",
    )
    assert api.post("/orders", sample_order()).status_code == 201
    text = client.get("/metrics").content.decode()
    after = _sample(text, "kizuna_http_requests_total", route="/api/v1/orders", status="201")
    assert after == (before or 0) + 1
    assert _sample(text, "kizuna_http_request_duration_seconds_count", route="/api/v1/orders")
    assert _sample(text, "kizuna_outbox_pending_events") == 2  # customer and order created
    assert (_sample(text, "kizuna_outbox_lag_seconds") or 0) >= 0
    assert _sample(text, "kizuna_task_queue_depth", queue="default", state="queued") == 0
    assert _sample(text, "kizuna_task_failures", queue="default") == 0


def test_metrics_may_be_protected_by_a_token(client: Client, settings: Any) -> None:
    settings.KIZUNA_METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and b"kizuna_outbox_lag_seconds" in ok.content


def test_probes_answer_over_plain_http_when_the_rest_redirects(
    client: Client, settings: Any
) -> None:
    # Production redirects HTTP to HTTPS; a load balancer's probe reaches the process over plain
    # HTTP and must read the answer, not a redirect.
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200, path
    response = client.get("/api/v1/customers")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
