"""gunicorn's settings for Kizuna: `gunicorn -c config/gunicorn.conf.py` (README, Deployment).

Every value comes from a KIZUNA_WEB_* variable with a default that suits a small server. The
limits are gunicorn's own, checked before Django sees a request; the worker class answers
them, and a worker timeout, in the API's JSON error shape (config/web_worker.py)."""

import multiprocessing
import os
import shutil
from typing import Any


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, not {raw!r}.") from exc


wsgi_app = "config.wsgi:application"
bind = (os.environ.get("KIZUNA_WEB_BIND") or os.environ.get("KIZUNA_BIND", "127.0.0.1:8000")).split(
    ","
)
worker_class = "config.web_worker.KizunaWorker"
workers = _int("KIZUNA_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1)
# A request running longer than this is stopped: its worker is replaced, its transaction
# rolled back, and the client answered 503 request_timeout (logged with the request id).
timeout = _int("KIZUNA_WEB_TIMEOUT", 30)
graceful_timeout = _int("KIZUNA_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("KIZUNA_WEB_KEEPALIVE", 5)
# Workers are replaced after this many requests (with jitter), which bounds slow leaks.
max_requests = _int("KIZUNA_WEB_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
loglevel = os.environ.get("KIZUNA_LOG_LEVEL", "info").lower()
# Limits of the request before Django reads it (414 and 431 beyond, in the JSON shape).
# 8190, gunicorn's largest, holds the longest request the API takes (ids and search text in
# any script, percent-encoded).
limit_request_line = _int("KIZUNA_WEB_MAX_REQUEST_LINE", 8190)
limit_request_fields = _int("KIZUNA_WEB_MAX_HEADERS", 100)
limit_request_field_size = _int("KIZUNA_WEB_MAX_HEADER_BYTES", 8190)
# Bodies are read by Django within KIZUNA_MAX_BODY_BYTES; a proxy in front may buffer them.
# gunicorn 25.1 and later open a control socket at one path per user: several servers on a
# host would share it. Off; run gunicornc against a server started with --control-socket.
control_socket_disable = True
# "-" is the standard error; empty turns the access log off.
accesslog = os.environ.get("KIZUNA_WEB_ACCESS_LOG", "-") or None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'


def worker_abort(worker: object) -> None:
    """A worker that ran past `timeout`: log the request it was running, with its id and
    where it was stuck (config/web_worker.py records both as the signal arrives)."""
    log = worker.log  # type: ignore[attr-defined]
    request = getattr(worker, "current_request", None)
    what = f"{request.method} {request.path}" if request is not None else "no request"
    log.critical(
        "Worker timeout after %s s: %s [%s]\n%s",
        worker.cfg.timeout,  # type: ignore[attr-defined]
        what,
        getattr(worker, "abort_request_id", None) or "-",
        getattr(worker, "abort_stack", ""),
    )


def on_starting(server: Any) -> None:
    """Prometheus counts of every worker meet in PROMETHEUS_MULTIPROC_DIR: start it empty."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
