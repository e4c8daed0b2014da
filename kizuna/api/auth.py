"""Bearer API keys. The key decides the workspace; `sk_` keys may call everything,
`pk_` keys only what a browser may."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from kizuna.accounts.models import ApiKey
from kizuna.accounts.selectors import api_key_for_secret
from kizuna.accounts.services import touch_api_key
from kizuna.core.errors import NotAuthenticated, PermissionDenied


class KeyAuth(HttpBearer):
    def __init__(self, *, publishable_allowed: bool) -> None:
        super().__init__()
        self.publishable_allowed = publishable_allowed

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        api_key = api_key_for_secret(token.strip())
        if api_key is None:
            raise NotAuthenticated(
                "The API key is wrong or has been revoked.", code="invalid_api_key"
            )
        if api_key.kind == ApiKey.Kind.PUBLISHABLE and not self.publishable_allowed:
            raise PermissionDenied(
                "A publishable (pk_) key may not call this endpoint; use a server (sk_) key.",
                code="server_key_required",
            )
        touch_api_key(api_key)
        request.workspace = api_key.workspace  # type: ignore[attr-defined]
        return api_key


server_key = KeyAuth(publishable_allowed=False)
any_key = KeyAuth(publishable_allowed=True)
