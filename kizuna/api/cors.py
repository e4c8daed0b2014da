"""Cross-origin calls from browsers (ADR 0032): the embeddable widget runs on the customer's
site and calls the API from that origin, with a publishable key in the Authorization
header, which makes every call a CORS request with a preflight.

Strict by construction:

- Only the operations a publishable key may call (those whose auth is `AnyKey`, read from the
  API's own OpenAPI document, so a new browser operation is open as soon as it is mounted
  with `any_key`) answer a preflight and carry `Access-Control-Allow-Origin: *`. Every
  other operation refuses the preflight (403 `cors_not_allowed`), so a page elsewhere can
  never even send a server-key call.
- Any origin, never credentials: no `Access-Control-Allow-Credentials`, and a browser sends
  no cookie with `*`. Keys travel in the Authorization header, which the preflight allows.
- An answer to a call made with a server key (`sk_...`) is not shared with the page: a
  server key does not belong in a browser.
"""

import re
from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from kizuna.api.auth import bearer_token
from kizuna.api.errors import error_response

Handler = Callable[[HttpRequest], HttpResponse]
API_V1_PREFIX = "/api/v1/"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
EXPOSED_HEADERS = "X-Request-Id, Retry-After, Idempotent-Replayed"
# How long a browser may keep a preflight's answer (seconds).
MAX_AGE = "600"
_PUBLISHABLE_SCHEME = "AnyKey"
_PARAMETER = re.compile(r"\\\{[^/]+?\\\}")


@cache
def publishable_operations() -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """(path pattern, methods) of the operations a publishable key may call."""
    from kizuna.api.urls import api

    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    found: list[tuple[re.Pattern[str], frozenset[str]]] = []
    for template, operations in paths.items():
        methods = frozenset(
            method.upper()
            for method, operation in operations.items()
            if any(_PUBLISHABLE_SCHEME in scheme for scheme in operation.get("security", []))
        )
        if methods:
            pattern = _PARAMETER.sub("[^/]+", re.escape(template))
            found.append((re.compile(pattern), methods))
    return found


def open_methods(path: str) -> frozenset[str]:
    """The methods of `path` that other origins may call."""
    methods: frozenset[str] = frozenset()
    for pattern, allowed in publishable_operations():
        if pattern.fullmatch(path):
            methods |= allowed
    return methods


class CorsMiddleware:
    """Answers preflights of the API and marks the answers other origins may read. Placed
    right after RequestIdMiddleware, so that every answer (errors, 429s) is readable by the
    widget, and a preflight is answered before rate limits and authentication."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_V1_PREFIX):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        methods = open_methods(request.path)
        asked = request.headers.get("Access-Control-Request-Method")
        if origin is not None and request.method == "OPTIONS" and asked is not None:
            return self._preflight(asked.upper(), methods)
        response = self.get_response(request)
        if request.method not in methods:
            return response
        # The answer depends on Origin: a cache must not give a same-origin answer (without
        # the header) to a page on another origin.
        patch_vary_headers(response, ("Origin",))
        token = bearer_token(request) or ""
        if origin is not None and not token.strip().startswith("sk_"):
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    @staticmethod
    def _preflight(asked: str, methods: frozenset[str]) -> HttpResponse:
        if asked not in methods:
            return error_response(
                403,
                code="cors_not_allowed",
                message="Only the operations a publishable key may call can be called from "
                "another origin.",
            )
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = ", ".join(sorted(methods))
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = MAX_AGE
        return response
