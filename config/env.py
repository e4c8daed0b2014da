"""Read settings from the environment once, failing fast on values that cannot be parsed."""

import json
import os

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
