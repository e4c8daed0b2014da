"""Settings fail fast: a production process refuses to start with unsafe configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 64


def start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_development_needs_no_configuration() -> None:
    assert start().stdout.strip() == "started"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KIZUNA_ALLOWED_HOSTS": "kizuna.example"}, "KIZUNA_SECRET_KEY"),
        ({"KIZUNA_SECRET_KEY": "short", "KIZUNA_ALLOWED_HOSTS": "k.example"}, "at least 50"),
        ({"KIZUNA_SECRET_KEY": GOOD_KEY}, "KIZUNA_ALLOWED_HOSTS is required"),
        (
            {
                "KIZUNA_SECRET_KEY": GOOD_KEY,
                "KIZUNA_ALLOWED_HOSTS": "k.example",
                "KIZUNA_DEBUG": "1",
            },
            "KIZUNA_DEBUG must be off",
        ),
        ({"KIZUNA_DEBUG": "maybe"}, "KIZUNA_DEBUG must be a boolean"),
    ],
)
def test_production_refuses_unsafe_settings(env: dict[str, str], message: str) -> None:
    result = start(KIZUNA_ENV="production", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_starts_with_safe_settings() -> None:
    result = start(
        KIZUNA_ENV="production", KIZUNA_SECRET_KEY=GOOD_KEY, KIZUNA_ALLOWED_HOSTS="k.example"
    )
    assert result.stdout.strip() == "started", result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KIZUNA_RATE_LIMIT_READ": "lots"}, "KIZUNA_RATE_LIMIT_READ is a rate such as 600/60"),
        ({"KIZUNA_RATE_LIMIT_WRITE": "10/0"}, "KIZUNA_RATE_LIMIT_WRITE is a rate"),
        ({"KIZUNA_RATE_LIMITS_BY_WORKSPACE": "{not json"}, "must be JSON"),
        ({"KIZUNA_RATE_LIMITS_BY_WORKSPACE": '{"shop": {"reads": "1/1"}}'}, "maps workspace"),
        ({"KIZUNA_RATE_LIMITS_BY_WORKSPACE": '{"shop": {"read": "x"}}'}, "[shop][read] is a"),
        ({"KIZUNA_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "not 'proxy.local'"),
        ({"KIZUNA_CACHE_URL": "memcached://127.0.0.1"}, "KIZUNA_CACHE_URL is a cache URL"),
    ],
)
def test_limits_and_the_cache_refuse_values_they_cannot_read(
    env: dict[str, str], message: str
) -> None:
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_limits_and_the_cache_are_read_from_the_environment() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.KIZUNA_RATE_LIMITS['read'], s.KIZUNA_RATE_LIMITS['write'], "
        "s.KIZUNA_RATE_LIMITS_BY_WORKSPACE, [str(n) for n in s.KIZUNA_TRUSTED_PROXIES], "
        "s.CACHES['default']['BACKEND'].rsplit('.', 1)[1], s.CACHES['default']['LOCATION'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    env = {
        **clean,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "KIZUNA_RATE_LIMIT_READ": "100/10",
        "KIZUNA_RATE_LIMIT_WRITE": "off",
        "KIZUNA_RATE_LIMITS_BY_WORKSPACE": '{"big": {"write": "5000/60"}}',
        "KIZUNA_TRUSTED_PROXIES": "10.0.0.1, 2001:db8::/32",
        "KIZUNA_CACHE_URL": "redis://127.0.0.1:6379/1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.split("\n")[0] == (
        "(100, 10) None {'big': {'write': (5000, 60)}} ['10.0.0.1/32', '2001:db8::/32'] "
        "RedisCache redis://127.0.0.1:6379/1"
    ), result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KIZUNA_LOG_FORMAT": "xml"}, "KIZUNA_LOG_FORMAT is plain or json"),
        ({"KIZUNA_SCHEDULE": "{not json"}, "KIZUNA_SCHEDULE must be a JSON object"),
        (
            {"KIZUNA_TASKS_BACKEND": "redis", "KIZUNA_TASK_RETRY_SECONDS": "10,soon"},
            "comma-separated integers",
        ),
    ],
)
def test_production_settings_that_cannot_be_read_stop_the_process(
    env: dict[str, str], message: str
) -> None:
    result = start(**env)
    assert result.returncode != 0 and message in result.stderr


def test_the_redis_task_backend_and_cache_are_chosen_by_name() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TASKS['default']['BACKEND'], s.TASKS['default']['OPTIONS']['RETRY_INTERVALS'], "
        "s.CACHES['default']['BACKEND'], s.KIZUNA_SCHEDULE)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "KIZUNA_TASKS_BACKEND": "redis",
            "KIZUNA_TASK_RETRY_SECONDS": "1,2",
            "KIZUNA_CACHE_URL": "redis://127.0.0.1:6379/1",
            "KIZUNA_SCHEDULE": '{"outbox_sweep": "1m"}',
            "KIZUNA_SCHEDULE_IDEMPOTENCY_PURGE": "off",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split(" ", 3)[:3] == [
        "kizuna.core.tasks_redis.RedisTaskBackend",
        "[1,",
        "2]",
    ], result.stderr
    assert "RedisCache" in result.stdout
    assert "'outbox_sweep': '1m', 'idempotency_purge': 'off'" in result.stdout
