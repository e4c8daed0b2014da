"""The API layer owns no tables."""
