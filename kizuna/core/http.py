"""What handlers need from a request, without knowing how it was authenticated."""

import ipaddress
from typing import Any

from django.conf import settings
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


def submit_upload(request: HttpRequest, kind: str) -> Any:
    """The uploaded file of a bulk import of `kind` (orders, events), checked for its size
    before it is read, stored and queued: the import run, for a 202."""
    from kizuna.core.imports import runs
    from kizuna.core.imports.readers import check_upload_length

    check_upload_length(request.META.get("CONTENT_LENGTH"), runs.MAX_UPLOAD_BYTES)
    upload = uploaded_file(request)
    assert upload.file is not None
    return runs.submit(
        workspace_of(request),
        kind,
        upload.file,
        filename=upload.name or "",
        size=upload.size or 0,
        options={"emit_events": form_flag(request, "emit_events")},
    )


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


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    return address is not None and any(
        address in network for network in settings.KIZUNA_TRUSTED_PROXIES
    )


def client_address(request: HttpRequest) -> str:
    """The address a request came from, as limits count it: REMOTE_ADDR, or, when that is
    a proxy of KIZUNA_TRUSTED_PROXIES, the first address of X-Forwarded-For, read from the
    right, that is not a trusted proxy (the hops to its left are the client's to invent).
    IPv6 addresses count by their /64 network, which one client usually holds whole."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    client = remote
    if _trusted(remote):
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # not written by a trusted proxy: stop at the last good hop
            client = address
            if not _trusted(address):
                break
    if client is None:
        return "unknown"
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        return str(client.ipv4_mapped)
    if client.version == 6:
        return str(ipaddress.ip_network(f"{client}/64", strict=False))
    return str(client)
