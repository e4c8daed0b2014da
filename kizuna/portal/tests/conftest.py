from kizuna.portal.tests.browser import chromium, sync_database_calls

__all__ = ["chromium", "sync_database_calls"]
