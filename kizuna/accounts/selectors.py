from django.conf import settings
from django.core.cache import cache

from kizuna.accounts.models import ApiKey
from kizuna.accounts.services import api_key_cache_key, hash_key
from kizuna.core.models import one_or_none

# Cached: a key that does not exist, so that a flood of wrong keys costs no query either.
_UNKNOWN = "unknown"


def api_key_for_secret(secret: str) -> ApiKey | None:
    """The live key for a secret, with its workspace. Kept in the cache for
    KIZUNA_API_KEY_CACHE_SECONDS: a request costs no query for its key. `revoke_api_key`
    removes the entry, so a revoked key is refused at once wherever the cache is shared."""
    if not secret.startswith(("sk_", "pk_")) or len(secret) > 200:
        return None
    key_hash = hash_key(secret)
    cache_key = api_key_cache_key(key_hash)
    cached = cache.get(cache_key)
    if isinstance(cached, ApiKey):
        return cached
    if cached == _UNKNOWN:
        return None
    api_key = one_or_none(
        ApiKey.objects.select_related("workspace").filter(
            key_hash=key_hash, revoked_at__isnull=True
        )
    )
    cache.set(cache_key, api_key or _UNKNOWN, settings.KIZUNA_API_KEY_CACHE_SECONDS)
    return api_key
