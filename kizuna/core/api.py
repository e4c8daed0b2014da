"""The shared kernel exposes no endpoints."""
