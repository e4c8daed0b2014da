from kizuna.portal.tests.browser import chromium

__all__ = ["chromium"]
