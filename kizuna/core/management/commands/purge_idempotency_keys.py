from typing import Any

from django.core.management.base import BaseCommand

from kizuna.core import idempotency


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records older than KIZUNA_IDEMPOTENCY_TTL_HOURS (they no longer "
        "replay anyway). Run it periodically."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"deleted {idempotency.purge_expired()} expired key(s)")
