"""The gunicorn worker of Kizuna (config/gunicorn.conf.py names it): gunicorn's sync worker,
whose own answers are in the API's JSON error shape.

gunicorn answers some requests itself, before Django sees them: a request line or headers
over its limits, a request it cannot parse, and (from gunicorn 23 on, when nothing was sent
yet) a request whose worker ran past the timeout. It writes those answers as HTML with
`gunicorn.util.write_error`, which its workers call at run time and which has no hook, so
this module puts a JSON writer in its place: `{code, message, field, details, request_id}`
with the same `X-Request-Id` header. A worker timeout becomes 503 `request_timeout`, carrying
the id of the request that ran too long (logged by the worker_abort hook); its transaction
is rolled back, as the exception that stops the request unwinds through the API layer."""

import json
import traceback
import uuid
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

from kizuna.core.logging import request_id_var

CODES = {
    400: "malformed_request",
    403: "permission_denied",
    414: "request_line_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "unsupported_transfer_encoding",
    503: "request_timeout",
}
MESSAGES = {
    414: "The request line (method, path and query string) is too long.",
    431: "The request has too many headers, or one that is too long.",
    500: "Something went wrong on our side; it has been logged.",
}
REASONS = {503: "Service Unavailable"}


def json_error(status: int, reason: str, message: str, request_id: str | None = None) -> bytes:
    """An HTTP/1.1 response with the API's error body, closing the connection."""
    request_id = request_id or uuid.uuid4().hex
    body = json.dumps(
        {
            "code": CODES.get(status, "client_error" if status < 500 else "server_error"),
            "message": MESSAGES.get(status) or message[:300] or reason,
            "field": None,
            "details": [],
            "request_id": request_id,
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-Id: {request_id}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error writer, in the API's shape (same signature as gunicorn.util's)."""
    util.write_nonblock(sock, json_error(status_int, reason, mesg))


util.write_error = write_error


class KizunaWorker(SyncWorker):
    """Remembers the request it runs, so that a timeout can be answered and logged with that
    request's id, and whether the application began its answer (then nothing is written:
    gunicorn closes the connection)."""

    wsgi: Any
    timed_out = False
    abort_request_id: str | None = None
    abort_stack = ""
    current_request: Any = None
    response_started = False

    def load_wsgi(self) -> None:
        super().load_wsgi()
        application: Any = self.wsgi

        def started(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            def start(*args: Any) -> Any:
                self.response_started = True
                return start_response(*args)

            return application(environ, start)

        self.wsgi = started

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        self.current_request = req
        self.response_started = False
        try:
            super().handle_request(listener, req, client, addr)
        finally:
            self.current_request = None

    def handle_abort(self, sig: int, frame: FrameType | None) -> None:
        # The signal arrives in the thread that runs the request, inside its context: the
        # request id is still set here (RequestIdMiddleware resets it while unwinding).
        self.timed_out = True
        self.abort_request_id = request_id_var.get()
        self.abort_stack = "".join(traceback.format_stack(frame)) if frame else ""
        super().handle_abort(sig, frame)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if self.timed_out and isinstance(exc, SystemExit):
            if not self.response_started:
                message = f"The request ran past the server's time limit ({self.cfg.timeout} s)."
                request_id = self.abort_request_id
                if request_id in (None, "-"):
                    request_id = None
                try:
                    util.write_nonblock(client, json_error(503, REASONS[503], message, request_id))
                except OSError:
                    self.log.debug("Could not answer the timed-out request.")
            return
        super().handle_error(req, client, addr, exc)
