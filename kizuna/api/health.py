"""Health endpoints outside /api: `/healthz` (the process answers) and `/readyz` (the
database, the cache and the task broker answer; 503 naming the part that does not)."""

import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.tasks import task_backends

from kizuna.core.tasks_redis import RedisTaskBackend


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    key = f"kizuna:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)
    return type(cache).__name__


def _broker() -> str:
    backend = task_backends["default"]
    if isinstance(backend, RedisTaskBackend):
        backend.connection.ping()
        return "redis"
    return "database"  # the database backend's broker is the database, checked above


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    failing = []
    for name, check in CHECKS.items():
        try:
            checks[name] = {"ok": True, "backend": check()}
        except Exception as exc:
            failing.append(name)
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    status = 503 if failing else 200
    body = {"status": "unavailable" if failing else "ready", "failing": failing, "checks": checks}
    return JsonResponse(body, status=status)
