"""The shared kernel's writes live beside their helpers (events, idempotency)."""
