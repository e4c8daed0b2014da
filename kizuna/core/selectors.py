"""The shared kernel's reads live beside their helpers (events, idempotency, pagination)."""
