import hashlib
import re
import uuid
from collections.abc import Callable
from functools import cache
from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.module_loading import import_string

from kizuna.api.auth import bearer_token, resolve_api_key
from kizuna.api.errors import error_response, from_domain_error, is_error_body
from kizuna.core import idempotency
from kizuna.core.errors import KizunaError
from kizuna.core.logging import request_id_var
from kizuna.core.text import UNSTORABLE

API_PREFIX = "/api/"
API_V1_PREFIX = "/api/v1/"
# Matched whole (fullmatch): with "$" a trailing newline would get into the header.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

Handler = Callable[[HttpRequest], HttpResponse]


class PagesMiddleware:
    """The middleware that only pages need (static files, sessions, CSRF, staff sign-in,
    messages), listed in settings.PAGES_MIDDLEWARE: run for pages and the admin, skipped for
    the API, which authenticates with keys and keeps no session."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        handler = get_response
        for path in reversed(settings.PAGES_MIDDLEWARE):
            handler = import_string(path)(handler)
        self.pages = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)
        return self.pages(request)


class RequestIdMiddleware:
    """Outermost: gives every request an id (or keeps a sane one sent by the client), puts it
    in the logs and the `X-Request-Id` header, and makes sure that every API response with a
    status >= 400 has the JSON error body, whoever produced it (405s, CSRF, 413...)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            if request.path.startswith(API_PREFIX) and response.status_code >= 400:
                response = self._ensure_error_body(response)
            response["X-Request-Id"] = request_id
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _ensure_error_body(response: HttpResponse) -> HttpResponse:
        if is_error_body(response):
            return response
        replacement = error_response(response.status_code)
        # Keep what the rest of the stack said (Allow, Retry-After, security headers...).
        for header, value in response.items():
            if header.lower() not in {"content-type", "content-length"}:
                replacement[header] = value
        return replacement


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Statuses that say the request never ran (bad key, key lacks the scope, rate limited): the
# client fixes the cause and retries with the same Idempotency-Key, so nothing is stored.
NOT_STORED = frozenset({401, 403, 429})


def unstorable_input(request: HttpRequest) -> HttpResponse | None:
    """A NUL character in the path or the query string can name nothing and fits no text
    column: answer before a handler sends it to the database."""
    if UNSTORABLE.search(request.path):
        return error_response(404)
    try:
        unquote_to_bytes(request.META.get("QUERY_STRING", "")).decode("utf-8")
    except UnicodeDecodeError:
        return error_response(
            400, code="invalid_utf8", message="The query string is not valid UTF-8."
        )
    for name, values in request.GET.lists():
        if UNSTORABLE.search(name) or any(UNSTORABLE.search(v) for v in values):
            return error_response(
                422,
                code="invalid_character",
                message="Query parameters may not contain NUL (%00) characters.",
                field=name if not UNSTORABLE.search(name) else None,
            )
    return None


@cache
def _path_templates() -> list[list[str]]:
    from kizuna.api.urls import api

    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    return [template.strip("/").split("/") for template in paths]


def encoded_separator(request: HttpRequest) -> HttpResponse | None:
    """`/customers/a%2Fb` reaches Django as `/customers/a/b`: a slash inside an id would move
    the request to another path (`a%2Ftimeline`). Where the server passes the request target
    as sent (gunicorn's RAW_URI, uWSGI's REQUEST_URI), an encoded slash in a segment is 422
    `invalid_external_id`, naming the path parameter it is in."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI") or ""
    path = urlsplit(raw).path if raw.startswith(("http://", "https://")) else raw.split("?")[0]
    if "%2f" not in path.lower():
        return None
    segments = path.strip("/").split("/")
    for template in _path_templates():
        if len(template) != len(segments):
            continue
        names = [
            part[1:-1]
            for part, segment in zip(template, segments, strict=True)
            if part.startswith("{") and "%2f" in segment.lower()
        ]
        literal_match = all(
            part.startswith("{") or part == segment
            for part, segment in zip(template, segments, strict=True)
        )
        if literal_match and names:
            return error_response(
                422,
                code="invalid_external_id",
                message="Ids may not contain '/', encoded (%2F) or not.",
                field=names[0],
            )
    return error_response(404)


class ApiBoundaryMiddleware:
    """Innermost: the boundary of every API call under /api/v1/.

    - Input that no column can hold (NUL in the path or query) is answered before the view.
    - A call that may write (POST, PUT, PATCH, DELETE) runs in one transaction, rolled back
      when the answer is a 5xx: a failed call leaves nothing behind.
    - A POST with an `Idempotency-Key` takes the key inside that same transaction (see
      `kizuna.core.idempotency`): a stored response is replayed; otherwise the view runs and
      its response is stored with its writes, in one commit. (Services take no savepoint:
      when one refuses the request after it began writing, the whole transaction is rolled
      back, and the refusal is stored in a transaction of its own.) A 5xx (or a 401/403/429, which
      mean the request never ran) is not stored, so that the retry runs afresh; neither is a
      streamed answer, which cannot be."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_V1_PREFIX):
            return self.get_response(request)
        refused = encoded_separator(request) or unstorable_input(request)
        if refused is not None:
            return refused
        if request.method not in WRITE_METHODS:
            return self.get_response(request)
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method != "POST":
            return self._run_atomically(request)
        token = bearer_token(request)
        api_key = resolve_api_key(request, token) if token is not None else None
        if api_key is None:
            return self._run_atomically(request)  # the view answers 401
        try:
            idempotency.check_key(key)
            content = _content_of(request)
        except KizunaError as exc:
            return from_domain_error(exc)
        except RequestDataTooBig:
            return error_response(413)
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
            return error_response(
                400,
                code="malformed_multipart",
                message="The multipart/form-data body could not be read.",
            )
        path = request.get_full_path()
        held = idempotency.Key(
            workspace_id=api_key.workspace_id,
            scope=api_key.kind,
            key=key,
            method=request.method,
            path=path,
            fingerprint=idempotency.fingerprint(request.method, path, content),
        )
        with transaction.atomic():
            try:
                stored = idempotency.begin(held)
            except KizunaError as exc:
                return from_domain_error(exc)
            if stored is not None:
                response = HttpResponse(
                    bytes(stored.response_body),
                    status=stored.response_status,
                    content_type=stored.response_content_type,
                )
                response["Idempotent-Replayed"] = "true"
                return response
            response = self.get_response(request)
            store = not response.streaming
            if response.status_code >= 500 or response.status_code in NOT_STORED:
                transaction.set_rollback(True)
                store = False
            elif store and not transaction.get_rollback():
                idempotency.store(held, *_stored_parts(response))
                store = False
        if store:
            # A service refused the request inside the transaction (services take no
            # savepoint of their own), so the transaction was rolled back, its writes with it;
            # the answer is stored in a transaction of its own, the key taken again.
            with transaction.atomic():
                if idempotency.begin(held) is None:
                    idempotency.store(held, *_stored_parts(response))
        return response

    def _run_atomically(self, request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response


def _stored_parts(response: HttpResponse) -> tuple[int, bytes, str]:
    return (
        response.status_code,
        response.content,
        response.get("Content-Type", "application/json"),
    )


def _content_of(request: HttpRequest) -> bytes:
    """What an Idempotency-Key's fingerprint covers: the body; for a multipart upload, which
    may be larger than a body may be read into memory, a digest of its fields and files
    read in chunks (the files are left rewound for the view)."""
    if request.content_type != "multipart/form-data":
        return request.body
    digest = hashlib.sha256()

    def add(part: bytes) -> None:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)

    for name, values in sorted(request.POST.lists()):
        add(name.encode())
        for value in values:
            add(value.encode())
    for name, uploads in sorted(request.FILES.lists()):
        add(name.encode())
        for upload in uploads:
            add((upload.name or "").encode())
            add(str(upload.size).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return b"multipart/form-data " + digest.hexdigest().encode()
