"""Security headers: a Content-Security-Policy everywhere, HSTS and HTTPS in production, the
API docs page served from our own static files, and `check --deploy` clean in production."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "KIZUNA_ENV": "production",
    "KIZUNA_SECRET_KEY": "production-test-key-" + "0123456789abcdef" * 3,
    "KIZUNA_ALLOWED_HOSTS": "testserver,kizuna.example",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


# A page, the docs page and an API document, fetched in a process with its own settings.
FETCH = """
import json, django
django.setup()
from django.test import Client
out = {}
for name, path, kwargs in [
    ("home", "/", {"secure": True}),
    ("docs", "/api/docs", {"secure": True}),
    ("api", "/api/openapi.json", {"secure": True}),
    ("plain-http", "/", {}),
    ("proxied-https", "/", {"HTTP_X_FORWARDED_PROTO": "https"}),
]:
    response = Client().get(path, **kwargs)
    out[name] = {"status": response.status_code, "headers": dict(response.headers)}
print(json.dumps(out))
"""


def fetch(**env: str) -> dict[str, dict[str, object]]:
    result = run(FETCH, **env)
    assert result.returncode == 0, result.stderr
    fetched: dict[str, dict[str, object]] = json.loads(result.stdout.splitlines()[-1])
    return fetched


def test_production_sends_every_security_header() -> None:
    fetched = fetch(**PRODUCTION, KIZUNA_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https")
    for name in ("home", "docs", "api", "proxied-https"):
        response = fetched[name]
        headers = response["headers"]
        assert isinstance(headers, dict)
        assert response["status"] == 200, (name, response)
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    redirect = fetched["plain-http"]
    assert redirect["status"] == 301
    assert redirect["headers"]["Location"] == "https://testserver/"  # type: ignore[index]


def test_development_has_no_hsts_and_no_redirect() -> None:
    fetched = fetch()
    assert fetched["plain-http"]["status"] == 200
    headers = fetched["plain-http"]["headers"]
    assert isinstance(headers, dict)
    assert "Strict-Transport-Security" not in headers
    assert "Content-Security-Policy" in headers


def test_a_proxy_header_that_cannot_be_read_stops_the_process() -> None:
    result = run("import django; django.setup()", KIZUNA_SECURE_PROXY_SSL_HEADER="https")
    assert result.returncode != 0
    assert "KIZUNA_SECURE_PROXY_SSL_HEADER is 'Header-Name: value'" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")},
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
            **PRODUCTION,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# ---------------------------------------------------------------- in this process


@pytest.mark.django_db
def test_the_docs_page_loads_only_our_own_static_files() -> None:
    response = Client().get("/api/docs")
    html = response.content.decode()
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    for source in sources:
        assert source.startswith("/static/"), source
        assert finders.find(source.removeprefix("/static/")), f"{source} is not a static file"
    assert "cdn" not in html.lower() and "http" not in html.lower()
    assert re.search(r"<script>(?!\s*$)", html) is None  # no inline script to allow
    settings_json = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S
    )
    assert settings_json is not None
    assert json.loads(settings_json.group(1))["validatorUrl"] is None


@pytest.mark.django_db
def test_our_pages_carry_the_nonce_of_their_policy() -> None:
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None, policy
    assert f'<style nonce="{nonce.group(1)}">' in response.content.decode()
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


@pytest.mark.django_db
def test_the_admin_form_needs_its_csrf_token() -> None:
    """CsrfViewMiddleware runs for pages through PagesMiddleware (security.W003 is silenced
    because it is not in MIDDLEWARE itself)."""
    response = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "a@example.com", "password": "x"}
    )
    assert response.status_code == 403
