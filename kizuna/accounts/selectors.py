from kizuna.accounts.models import ApiKey
from kizuna.accounts.services import hash_key


def api_key_for_secret(secret: str) -> ApiKey | None:
    if not secret.startswith(("sk_", "pk_")) or len(secret) > 200:
        return None
    return (
        ApiKey.objects.select_related("workspace")
        .filter(key_hash=hash_key(secret), revoked_at__isnull=True)
        .first()
    )
