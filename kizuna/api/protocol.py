"""HTTP details that every route inherits: HEAD wherever GET works, and request bodies sent
with chunked transfer encoding (no Content-Length)."""

import tempfile
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream, WSGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from kizuna.api.errors import error_response
from kizuna.core.imports.readers import MAX_UPLOAD_BYTES, MULTIPART_OVERHEAD_BYTES

Handler = Callable[[HttpRequest], HttpResponse]
API_PREFIX = "/api/"
_CHUNK = 64 * 1024


class HeadMiddleware:
    """Outermost: `HEAD` on any API path answers what `GET` would (status and headers,
    Content-Length included), without the body. The view runs as for a GET (ninja routes
    know only the methods they declare); a streamed answer is never produced."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if isinstance(response, StreamingHttpResponse):
            # Never iterated: the generator behind it does no work, and the server closes
            # the response (and with it the generator) as for any other.
            response.streaming_content = []
        else:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response


def largest_body() -> int:
    """The largest body any endpoint reads: a JSON body, or a file upload with its envelope."""
    return max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES)


class ChunkedBodyMiddleware:
    """A body sent with `Transfer-Encoding: chunked` has no Content-Length, which Django takes
    as an empty body: a JSON call would be answered `empty_body`, an upload `required`.
    Where the server decodes the chunks and ends the input (gunicorn sets
    `wsgi.input_terminated`), the body is read here, up to the largest body an endpoint takes
    (413 beyond), kept in memory or a temporary file, and given its length. Where it does not,
    the request is 411 `length_required`. Runs after RequestIdMiddleware, so that these
    answers carry the request id."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not isinstance(request, WSGIRequest) or not _is_chunked(request):
            return self.get_response(request)
        if not request.META.get("wsgi.input_terminated"):
            return _refusal(
                request,
                411,
                code="length_required",
                message="Send the body with a Content-Length header.",
            )
        limit = largest_body()
        source = request.META["wsgi.input"]
        with tempfile.SpooledTemporaryFile(max_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE) as body:
            size = 0
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    return _refusal(request, 413)
                body.write(chunk)
            body.seek(0)
            request.META["CONTENT_LENGTH"] = str(size)
            request._stream = LimitedStream(cast(Any, body), size)  # type: ignore[assignment]
            return self.get_response(request)


def _is_chunked(request: HttpRequest) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def _refusal(request: HttpRequest, status: int, **kwargs: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return error_response(status, **kwargs)
    return HttpResponse(kwargs.get("message", ""), status=status, content_type="text/plain")
