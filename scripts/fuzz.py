"""Fuzz the whole API with schemathesis, as CI does (`make fuzz`, called by .ci/run).

Creates a scratch PostgreSQL database, migrates it, creates a workspace, serves the product
with gunicorn in production mode on loopback (config/gunicorn.conf.py), and runs
`schemathesis run` over /api/openapi.json with the workspace's server key: every check,
every phase (examples, coverage, fuzzing, and stateful sequences through the document's
links), a bounded number of examples per operation. Any failure fails the run. The
database is dropped and the server stopped at the end, whatever happened.

    PYTHONPATH=. .venv/bin/python scripts/fuzz.py [--max-examples N] [--seed S]
        [--database-url postgres://...] [-- extra schemathesis arguments]

New endpoints are covered as they appear in the document."""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped before it answered")
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
        try:
            # The first document of each worker is generated on demand: on a loaded machine
            # it takes seconds, so each attempt waits for it rather than giving up.
            with urllib.request.urlopen(request, timeout=60) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", default="2")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "")
        if os.environ.get("DATABASE_URL", "").startswith("postgres")
        else DEFAULT_DATABASE,
        help="A PostgreSQL server whose role may create databases.",
    )
    parser.add_argument("schemathesis_args", nargs="*")
    args = parser.parse_args()

    python = sys.executable
    scratch = f"kizuna_fuzz_{os.getpid()}"
    database_url = with_database(args.database_url, scratch)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "KIZUNA_ENV": "production",
        "KIZUNA_SECRET_KEY": secrets.token_urlsafe(50),
        "KIZUNA_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # As behind a TLS-terminating proxy: the requests below say they came over HTTPS.
        "KIZUNA_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
        "KIZUNA_WEB_BIND": f"127.0.0.1:{port}",
        "KIZUNA_WEB_WORKERS": "2",
        "KIZUNA_WEB_ACCESS_LOG": "",
        # The checks of missing and wrong keys send many on purpose, from one address.
        "KIZUNA_RATE_LIMIT_FAILED_AUTH": "off",
    }
    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    server: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:
        subprocess.run(
            [python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        created = subprocess.run(
            [python, "manage.py", "create_workspace", "fuzz", "--name", "Fuzz"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        server_key = json.loads(created.stdout.strip().splitlines()[-1])["server_key"]
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"], cwd=ROOT, env=env
        )
        wait_for(f"{base}/api/openapi.json", server)
        schemathesis = shutil.which("schemathesis", path=str(Path(python).parent)) or (
            "schemathesis"
        )
        command = [
            schemathesis,
            "--config-file",
            str(ROOT / "config" / "schemathesis.toml"),
            "run",
            f"{base}/api/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(args.max_examples),
            "--workers",
            args.workers,
            "--header",
            f"Authorization: Bearer {server_key}",
            "--header",
            "X-Forwarded-Proto: https",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "too_slow,filter_too_much",
            *(["--seed", str(args.seed)] if args.seed is not None else []),
            *args.schemathesis_args,
        ]
        print(
            "$",
            " ".join(c if "Bearer" not in c else "Authorization: Bearer sk_..." for c in command),
        )
        result = subprocess.run(command, cwd=ROOT, check=False)
        print(f"fuzzing took {time.monotonic() - started:.0f} s")
        return result.returncode
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )


if __name__ == "__main__":
    sys.exit(main())
