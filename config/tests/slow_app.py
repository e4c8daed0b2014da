"""The product's WSGI application plus one view that outlives the worker timeout, for
test_gunicorn.py (gunicorn serves `config.tests.slow_app:application`)."""

import time

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.wsgi import application  # sets Django up: the imports below need the apps


def slow(request: HttpRequest) -> HttpResponse:
    """Writes a row inside the request's transaction, then takes longer than the timeout."""
    from kizuna.core.models import Workspace

    Workspace.objects.create(slug="written-by-a-slow-request", name="Slow")
    time.sleep(120)
    return HttpResponse("too late")


def _route() -> None:
    from config import urls

    urls.urlpatterns.append(path("api/v1/test-slow", slow))


_route()

__all__ = ["application"]
