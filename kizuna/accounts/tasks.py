"""Accounts run no background work yet."""
