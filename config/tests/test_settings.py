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
