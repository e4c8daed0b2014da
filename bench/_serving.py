"""What the served benchmarks share: scratch databases, a gunicorn server, HTTP requests,
client processes in parallel and percentiles. Not a benchmark itself (`run.py` skips files
whose name starts with an underscore)."""

import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def postgres_url(name: str) -> str:
    base = urlsplit(
        os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    return urlunsplit(base._replace(path=f"/{name}"))


@contextmanager
def scratch_postgres(name: str) -> Iterator[str]:
    """A new PostgreSQL database `name`, dropped at the end."""
    admin = postgres_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield postgres_url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "KIZUNA_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }


def manage(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(database_url: str, workers: int, key: str) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment(database_url),
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(port, "GET", "/api/v1/customers?limit=1", None, key)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def request(
    port: int, method: str, path: str, body: Any, key: str, idempotency_key: str | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    connection.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, content


def in_parallel(
    concurrency: int, total: int, work: Callable[[int, int, Any], list[float]], arg: Any
) -> tuple[float, list[float]]:
    """Run `work(client, count, arg)` in `concurrency` processes; the rate counts from the
    moment they all start."""
    per_client = total // concurrency
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        started = time.perf_counter()
        results = pool.starmap(work, [(c, per_client, arg) for c in range(concurrency)])
        elapsed = time.perf_counter() - started
    latencies = sorted(ms for result in results for ms in result)
    return len(latencies) / elapsed, latencies


def pct(latencies: list[float], p: float) -> float:
    return latencies[min(len(latencies) - 1, int(len(latencies) * p))]


def create_bench_workspace(database_url: str) -> str:
    """Migrate the scratch database, create the workspace `bench`; its server key."""
    manage(database_url, "migrate", "--no-input")
    created = json.loads(manage(database_url, "create_workspace", "bench", "--name", "Bench"))
    return str(created["server_key"])
