"""Gunicorn's settings for Kizuna (`gunicorn config.wsgi -c config/gunicorn.conf.py`), read
from KIZUNA_* variables. Sections: serving (workers, timeouts, metrics), then request limits."""

import multiprocessing
import os
import shutil
from typing import Any

# ------------------------------------------------------------------ serving (docs/production.md)

bind = os.environ.get("KIZUNA_BIND", "127.0.0.1:8000")
# Sync workers, each one request at a time with one persistent database connection
# (KIZUNA_DB_CONN_MAX_AGE). The default is gunicorn's rule of thumb, 2 x cores + 1.
workers = int(os.environ.get("KIZUNA_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request that runs longer is killed and its worker replaced (uploads are checked in the
# request, but imported by a task worker, so no request should come close).
timeout = int(os.environ.get("KIZUNA_WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("KIZUNA_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("KIZUNA_WEB_KEEPALIVE", "5"))
# Workers are replaced after this many requests (with jitter), which bounds slow leaks.
max_requests = int(os.environ.get("KIZUNA_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Requests are logged by the application (KIZUNA_ACCESS_LOG=1, with the request id).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("KIZUNA_LOG_LEVEL", "info").lower()


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


# ------------------------------------------------------------------ request limits
