"""Bearer API keys. The key decides the workspace; `sk_` keys may call everything,
`pk_` keys only what a browser may.

The two kinds of endpoint use two classes so that the OpenAPI document names the key each
operation needs: `ServerKey` (sk_ only) or `AnyKey` (sk_ or pk_)."""

from django.db import transaction
from django.http import HttpRequest
from ninja.security import HttpBearer

from kizuna.accounts.models import ApiKey
from kizuna.accounts.selectors import api_key_for_secret
from kizuna.accounts.services import touch_api_key
from kizuna.core.errors import NotAuthenticated, PermissionDenied


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if there is one."""
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() != "bearer ":
        return None
    return authorization[7:]


def resolve_api_key(request: HttpRequest, token: str) -> ApiKey | None:
    """The key for a bearer token, looked up once per request (the idempotency middleware
    needs it before the view does)."""
    secret = token.strip()
    cached: tuple[str, ApiKey | None] | None = getattr(request, "_kizuna_api_key", None)
    if cached is not None and cached[0] == secret:
        return cached[1]
    api_key = api_key_for_secret(secret)
    request._kizuna_api_key = (secret, api_key)  # type: ignore[attr-defined]
    return api_key


class KeyAuth(HttpBearer):
    publishable_allowed = False

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        api_key = resolve_api_key(request, token)
        if api_key is None:
            raise NotAuthenticated(
                "The API key is wrong or has been revoked.", code="invalid_api_key"
            )
        if api_key.kind == ApiKey.Kind.PUBLISHABLE and not self.publishable_allowed:
            raise PermissionDenied(
                "A publishable (pk_) key may not call this endpoint; use a server (sk_) key.",
                code="server_key_required",
            )
        # After commit: inside the request's transaction the UPDATE would hold the key's row
        # lock to the end of the request and queue every other request made with the key.
        # Robust: bookkeeping that fails must not turn a committed request into an error.
        transaction.on_commit(lambda: touch_api_key(api_key), robust=True)
        request.workspace = api_key.workspace  # type: ignore[attr-defined]
        return api_key


class ServerKey(KeyAuth):
    """`Authorization: Bearer sk_...`: a server key, kept secret by the integrator."""

    openapi_description = "A server key (sk_...). Publishable keys get 403."
    publishable_allowed = False


class AnyKey(KeyAuth):
    """A server key or a publishable key (pk_...), which browsers may hold."""

    openapi_description = "A server key (sk_...) or a publishable key (pk_...)."
    publishable_allowed = True


server_key = ServerKey()
any_key = AnyKey()
