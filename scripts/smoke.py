"""The production stack, end to end, on loopback (.ci/run calls it after make test).

Starts `scripts/prod.sh` (gunicorn, task workers on Redis, the dispatcher, the scheduler) with
KIZUNA_ENV=production against a scratch PostgreSQL database and a Redis database of its own,
then sends orders, an order import and a customer import, and checks that /readyz answers
200, that the workers wrote the imports, that the dispatcher dispatched the outbox, that the
scheduler ran its jobs, that /metrics counted the requests and that the logs are JSON with
the request id. Stops everything and drops the database whatever happens.

    .venv/bin/python scripts/smoke.py   # make smoke; POSTGRES_URL, SMOKE_REDIS_URL to change"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ADMIN_URL = os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/14")
DATABASE = f"kizuna_smoke_{os.getpid()}"
checks: list[str] = []


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def call(
    port: int,
    method: str,
    path: str,
    key: str | None = None,
    body: Any = None,
    files: dict[str, tuple[str, bytes]] | None = None,
    proxied: bool = True,
) -> tuple[int, Any]:
    # As the TLS-terminating proxy in front of production would (KIZUNA_SECURE_PROXY_SSL_HEADER);
    # probes reach the process directly, over plain HTTP.
    headers = {"X-Forwarded-Proto": "https"} if proxied else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = None
    if files:
        boundary = uuid.uuid4().hex
        parts = []
        for field, (name, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


def wait_for(what: str, condition: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                checks.append(what)
                print(f"ok: {what}", flush=True)
                return
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {seconds:.0f} s: {what}")
        time.sleep(0.5)


def check(what: str, condition: bool) -> None:
    if not condition:
        raise AssertionError(what)
    checks.append(what)
    print(f"ok: {what}", flush=True)


def order(n: int) -> dict[str, Any]:
    return {
        "external_id": f"smoke-{n}",
        "customer_id": f"cust-{n % 7}",
        "currency": "USD",
        "total": "31.00",
        "subtotal": "30.00",
        "discount_total": "5.00",
        "shipping_total": "4.00",
        "tax_total": "2.00",
        "items": [
            {"sku": "TEA-1", "quantity": 2, "unit_price": "10.00"},
            {"sku": "CUP-1", "quantity": 1, "unit_price": "10.00"},
        ],
    }


def run(env: dict[str, str], port: int, log: Path) -> None:
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    created = subprocess.run(
        [*manage, "create_workspace", "smoke"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = json.loads(created.stdout)["server_key"]
    with log.open("wb") as out:
        stack = subprocess.Popen(
            ["scripts/prod.sh"],
            cwd=ROOT,
            env={**env, "KIZUNA_MIGRATE": "0"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            "/readyz answers 200 over plain HTTP",
            lambda: call(port, "GET", "/readyz", proxied=False)[0] == 200,
            90,
        )
        status, ready = call(port, "GET", "/readyz")
        check(
            "/readyz checks the database, the cache and Redis",
            ready["checks"]["broker"]["backend"] == "redis"
            and ready["checks"]["database"]["backend"] == "postgresql",
        )
        check(
            "/healthz answers 200 over plain HTTP",
            call(port, "GET", "/healthz", proxied=False)[0] == 200,
        )
        check(
            "the API redirects plain HTTP to HTTPS",
            call(port, "GET", "/api/v1/jobs", key, proxied=False)[0] == 301,
        )
        for n in range(20):
            status, body = call(port, "POST", "/api/v1/orders", key, order(n))
            assert status == 201, (status, body)
        checks.append("20 orders posted")
        lines = b"".join(json.dumps(order(100 + n)).encode() + b"\n" for n in range(300))
        status, orders_run = call(
            port, "POST", "/api/v1/orders/import", key, files={"file": ("orders.jsonl", lines)}
        )
        check("the order import is queued (202)", status == 202)
        customers = "external_id,email,consents.email_marketing\n" + "".join(
            f"imp-{n},imp{n}@example.com,granted\n" for n in range(500)
        )
        status, customers_run = call(
            port,
            "POST",
            "/api/v1/customers/import",
            key,
            files={"file": ("customers.csv", customers.encode())},
        )
        check("the customer import is queued (202)", status == 202)
        wait_for(
            "a task worker imported the 300 orders",
            lambda: (
                call(port, "GET", f"/api/v1/orders/imports/{orders_run['id']}", key)[1]["counts"][
                    "created"
                ]
                == 300
            ),
        )
        wait_for(
            "a task worker imported the 500 customers",
            lambda: (
                call(port, "GET", f"/api/v1/customers/imports/{customers_run['id']}", key)[1][
                    "counts"
                ]["created"]
                == 500
            ),
        )
        check(
            "imported orders are served",
            call(port, "GET", "/api/v1/orders/smoke-399", key)[0] == 200,
        )

        def outbox_drained() -> bool:
            with psycopg.connect(env["DATABASE_URL"]) as conn:
                rows = conn.execute(
                    "SELECT count(*) FROM core_outboxevent WHERE dispatched_at IS NULL"
                ).fetchone()
                return rows is not None and rows[0] == 0

        wait_for("the dispatcher dispatched every outbox event", outbox_drained)

        def jobs_ran() -> bool:
            jobs = {j["name"]: j for j in call(port, "GET", "/api/v1/jobs", key)[1]["data"]}
            return all(
                (jobs[name]["last_run"] or {}).get("outcome") == "succeeded"
                for name in ("outbox_sweep", "idempotency_purge", "customer_import_resume")
            )

        wait_for("the scheduler ran its jobs (GET /api/v1/jobs)", jobs_ran)
        status, metrics = call(port, "GET", "/metrics")
        check(
            "/metrics counts the orders posted by route and status",
            'kizuna_http_requests_total{method="POST",route="/api/v1/orders",status="201"} 20.0'
            in metrics,
        )
        check("/metrics reads the task queue", 'kizuna_task_queue_depth{queue="default"' in metrics)
        logged = [
            json.loads(line) for line in log.read_bytes().splitlines() if line.startswith(b"{")
        ]
        check(
            "the logs are JSON lines carrying the request id",
            any(len(line.get("request_id", "-")) > 8 for line in logged),
        )
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
    check("the stack stopped", stack.poll() is not None)


def main() -> int:
    started = time.monotonic()
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KIZUNA_ENV": "production",
        "KIZUNA_SECRET_KEY": secrets.token_urlsafe(50),
        "KIZUNA_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KIZUNA_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
        "DATABASE_URL": database_url(DATABASE),
        "KIZUNA_REDIS_URL": REDIS_URL,
        "KIZUNA_BIND": f"127.0.0.1:{port}",
        "KIZUNA_WEB_WORKERS": "2",
        "KIZUNA_TASK_WORKERS": "2",
        "KIZUNA_ACCESS_LOG": "1",
        "KIZUNA_SCHEDULE_OUTBOX_SWEEP": "10s",
        "KIZUNA_SCHEDULE_IDEMPOTENCY_PURGE": "10s",
        "KIZUNA_SCHEDULE_CUSTOMER_IMPORT_RESUME": "10s",
    }
    failed = 0
    log = Path(tempfile.mkdtemp(prefix="kizuna-smoke-")) / "stack.log"
    try:
        run(env, port, log)
    except Exception as exc:
        failed = 1
        print(f"FAILED: {exc}", flush=True)
        if log.exists():
            print(log.read_text(errors="replace")[-6000:], flush=True)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        redis.flushdb()
    print(f"smoke test took {time.monotonic() - started:.0f} s")
    print(f"smoke: {len(checks)} passed, {failed} failed")
    return failed


if __name__ == "__main__":
    sys.exit(main())
