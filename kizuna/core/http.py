"""What handlers need from a request, without knowing how it was authenticated."""

from typing import Any

from django.http import HttpRequest

from kizuna.core.audit import Actor
from kizuna.core.errors import NotAuthenticated
from kizuna.core.models import Workspace


def workspace_of(request: HttpRequest) -> Workspace:
    """The workspace the request's API key belongs to (set by the API layer's auth)."""
    workspace: Any = getattr(request, "workspace", None)
    if not isinstance(workspace, Workspace):
        raise NotAuthenticated("No API key.")
    return workspace


def actor_of(request: HttpRequest) -> Actor:
    """Who makes the request, for the audit log: the API key (by its public prefix), or the
    signed-in staff user."""
    api_key: Any = getattr(request, "auth", None)
    prefix = getattr(api_key, "prefix", None)
    if prefix:
        return Actor("api_key", str(prefix))
    user: Any = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return Actor("staff", str(user.pk))
    raise NotAuthenticated("No API key.")
