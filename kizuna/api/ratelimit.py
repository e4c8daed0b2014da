"""Rate limits of the API (ADR 0019): per API key and per client address, by route class,
counted in the cache (`kizuna.core.throttle`), answered 429 `rate_limited` with
`Retry-After`.

Route classes: `read` (GET and HEAD) and `write` (the other methods) per server key;
`public` per publishable key and client address (a browser key is public: one visitor must
not spend every visitor's budget); `failed_auth`, the wrong or revoked keys sent from one
client address. Limits are settings (`KIZUNA_RATE_LIMITS`), overridden per workspace
(`KIZUNA_RATE_LIMITS_BY_WORKSPACE`)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from kizuna.accounts.models import ApiKey
from kizuna.api.auth import bearer_token, resolve_api_key
from kizuna.api.errors import error_response
from kizuna.core import throttle
from kizuna.core.http import client_address

Handler = Callable[[HttpRequest], HttpResponse]
API_V1_PREFIX = "/api/v1/"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def route_class(request: HttpRequest, api_key: ApiKey) -> str:
    if api_key.kind == ApiKey.Kind.PUBLISHABLE:
        return "public"
    return "read" if request.method in READ_METHODS else "write"


def rate_of(route: str, api_key: ApiKey | None = None) -> throttle.Rate | None:
    if api_key is not None:
        override = settings.KIZUNA_RATE_LIMITS_BY_WORKSPACE.get(api_key.workspace.slug, {})
        if route in override:
            return override[route]
    return settings.KIZUNA_RATE_LIMITS.get(route)


def too_many_requests(verdict: throttle.Verdict, what: str) -> HttpResponse:
    response = error_response(
        429,
        code="rate_limited",
        message=f"Too many {what}; retry in {verdict.retry_after} s.",
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


class RateLimitMiddleware:
    """Before the API boundary, so that a refused call opens no transaction and takes no
    Idempotency-Key (a 429 is never stored: the retry runs)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_V1_PREFIX):
            return self.get_response(request)
        token = bearer_token(request)
        if token is None:
            return self.get_response(request)  # 401 from the view, which looks nothing up
        address = client_address(request)
        failures = f"failed_auth:{address}"
        failed_auth = rate_of("failed_auth")
        # An address that sent too many wrong keys is refused before its key is looked up.
        verdict = throttle.peek(failures, failed_auth)
        if not verdict.allowed:
            return too_many_requests(verdict, "requests with a wrong API key from this address")
        api_key = resolve_api_key(request, token)
        if api_key is None:
            verdict = throttle.hit(failures, failed_auth, refund_refused=False)
            if not verdict.allowed:
                return too_many_requests(verdict, "requests with a wrong API key from this address")
            return self.get_response(request)  # 401 from the view
        route = route_class(request, api_key)
        key = f"{route}:{api_key.pk}"
        if route == "public":
            key += f":{address}"
        verdict = throttle.hit(key, rate_of(route, api_key))
        if not verdict.allowed:
            return too_many_requests(verdict, f"{route} requests with this key")
        return self.get_response(request)
