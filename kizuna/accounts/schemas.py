"""Accounts have no public API yet; staff and keys are managed from the command line."""
