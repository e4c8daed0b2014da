"""Accounts expose no REST endpoints yet (keys and staff are created with manage.py)."""
