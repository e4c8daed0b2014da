"""Read settings from the environment once, failing fast on values that cannot be parsed."""

import ipaddress
import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


_RATE = re.compile(r"([0-9]+)\s*/\s*([0-9]+)\s*s?")


def parse_rate(name: str, raw: str) -> tuple[int, int] | None:
    """'600/60' (600 requests per 60 seconds) -> (600, 60); 'off' -> None (no limit)."""
    text = raw.strip().lower()
    if text in {"off", "none", "0"}:
        return None
    match = _RATE.fullmatch(text)
    if match is None or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise ImproperlyConfigured(
            f"{name} is a rate such as 600/60 (requests per seconds) or off, not {raw!r}."
        )
    return int(match.group(1)), int(match.group(2))


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    return parse_rate(name, os.environ.get(name, default))


def env_json(name: str, default: Any) -> Any:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be JSON: {exc}.") from exc


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of addresses or networks: 10.0.0.1, 10.0.0.0/8, ::1."""
    networks = []
    for part in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} lists addresses or networks (10.0.0.0/8), not {part!r}."
            ) from exc
    return networks


def env_cache(name: str, default: str) -> dict[str, Any]:
    """Django's cache settings from a URL: locmem:// (this process's memory), redis://host:
    6379/1 (or rediss://), db://table (the database; run `manage.py createcachetable`),
    dummy:// (nothing kept)."""
    raw = os.environ.get(name, default).strip()
    scheme = urlsplit(raw).scheme
    backends = "django.core.cache.backends."
    if scheme == "locmem":
        return {"BACKEND": backends + "locmem.LocMemCache", "LOCATION": urlsplit(raw).netloc}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": backends + "redis.RedisCache", "LOCATION": raw}
    if scheme == "db":
        table = urlsplit(raw).netloc or "kizuna_cache"
        return {"BACKEND": backends + "db.DatabaseCache", "LOCATION": table}
    if scheme == "dummy":
        return {"BACKEND": backends + "dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"{name} is a cache URL (locmem://, redis://host:6379/1, db://table or dummy://), "
        f"not {raw!r}."
    )


def env_ints(name: str, default: list[int]) -> list[int]:
    """A comma-separated list of integers."""
    parts = env_list(name, [str(n) for n in default])
    try:
        return [int(part) for part in parts]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be comma-separated integers, not {os.environ.get(name)!r}."
        ) from exc


def env_schedules(name: str) -> dict[str, str]:
    """Job schedules: `name` holds a JSON object of job name to schedule, and each variable
    `<name>_<JOB>` sets one job's (it wins over the JSON)."""
    raw = os.environ.get(name, "").strip()
    schedules: dict[str, str] = {}
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} must be a JSON object, not {raw!r}.") from exc
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ImproperlyConfigured(f'{name} must map job names to schedules: {{"job": "5m"}}.')
        schedules.update(parsed)
    prefix = f"{name}_"
    for variable, value in os.environ.items():
        if variable.startswith(prefix):
            schedules[variable.removeprefix(prefix).lower()] = value.strip()
    return schedules
