"""What handlers need from a request, without knowing how it was authenticated."""

from typing import Any

from django.http import HttpRequest

from kizuna.core.errors import NotAuthenticated
from kizuna.core.models import Workspace


def workspace_of(request: HttpRequest) -> Workspace:
    """The workspace the request's API key belongs to (set by the API layer's auth)."""
    workspace: Any = getattr(request, "workspace", None)
    if not isinstance(workspace, Workspace):
        raise NotAuthenticated("No API key.")
    return workspace
