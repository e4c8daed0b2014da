"""What handlers need from a request, without knowing how it was authenticated."""

from typing import Any

from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from kizuna.core.audit import Actor
from kizuna.core.errors import MalformedRequest, NotAuthenticated, ValidationFailed
from kizuna.core.models import Workspace


def workspace_of(request: HttpRequest) -> Workspace:
    """The workspace the request's API key belongs to (set by the API layer's auth)."""
    workspace: Any = getattr(request, "workspace", None)
    if not isinstance(workspace, Workspace):
        raise NotAuthenticated("No API key.")
    return workspace


def uploaded_file(request: HttpRequest) -> UploadedFile:
    """The multipart/form-data field `file` of an upload (400 when the body cannot be read,
    422 when the field is missing)."""
    try:
        upload = request.FILES.get("file")
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise MalformedRequest(
            "The multipart/form-data body could not be read.", code="malformed_multipart"
        ) from exc
    if upload is None or upload.file is None:
        raise ValidationFailed(
            "Send the file as the multipart/form-data field 'file'.", code="required", field="file"
        )
    return upload


def form_flag(request: HttpRequest, name: str) -> bool:
    """A true/false field of a multipart form (absent: false)."""
    value = request.POST.get(name, "false").strip().lower()
    if value not in {"true", "false", "1", "0"}:
        raise ValidationFailed(f"{name} is true or false.", code="invalid_choice", field=name)
    return value in {"true", "1"}


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
