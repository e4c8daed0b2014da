import re
import uuid
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from kizuna.accounts.selectors import api_key_for_secret
from kizuna.api.errors import error_response, from_domain_error, is_error_body
from kizuna.core import idempotency
from kizuna.core.errors import KizunaError
from kizuna.core.logging import request_id_var

API_PREFIX = "/api/"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Outermost: gives every request an id (or keeps a sane one sent by the client), puts it
    in the logs and the `X-Request-Id` header, and makes sure that every API response with a
    status >= 400 has the JSON error body, whoever produced it (405s, CSRF, 413...)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
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
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement


class IdempotencyMiddleware:
    """Innermost: Idempotency-Key replay for every POST under /api/v1/.

    The claim is committed before the view runs; the view and the stored response share one
    transaction. A 5xx rolls the view back and frees the key so the retry runs afresh."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method != "POST" or not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        authorization = request.headers.get("Authorization", "")
        api_key = None
        if authorization.lower().startswith("bearer "):
            api_key = api_key_for_secret(authorization[7:].strip())
        if api_key is None:
            return self.get_response(request)  # the view answers 401
        try:
            idempotency.check_key(key)
            body = request.body
            claim = idempotency.claim(
                api_key.workspace_id,
                key,
                request.method,
                request.get_full_path(),
                idempotency.fingerprint(request.method, request.get_full_path(), body),
            )
        except KizunaError as exc:
            return from_domain_error(exc)
        except RequestDataTooBig:
            return error_response(413)
        if claim.replay:
            record = claim.record
            response = HttpResponse(
                bytes(record.response_body or b""),
                status=record.response_status or 200,
                content_type=record.response_content_type or "application/json",
            )
            response["Idempotent-Replayed"] = "true"
            return response
        failed = False
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if response.status_code >= 500 or response.streaming:
                    failed = True
                    transaction.set_rollback(True)
                else:
                    idempotency.complete(
                        claim.record,
                        response.status_code,
                        response.content,
                        response.get("Content-Type", "application/json"),
                    )
        except BaseException:
            idempotency.release(claim.record)
            raise
        if failed:
            idempotency.release(claim.record)
        return response
