"""One error body for every status >= 400:
`{"code", "message", "field", "details", "request_id"}`."""

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException

from kizuna.core.errors import KizunaError
from kizuna.core.logging import request_id_var
from kizuna.core.schemas import ErrorOut
from kizuna.core.validation import ABSENT, validation_details

logger = logging.getLogger("kizuna.api")

DEFAULT_CODES = {
    400: ("malformed_request", "The request could not be read."),
    401: ("not_authenticated", "Send an API key as 'Authorization: Bearer <key>'."),
    403: ("permission_denied", "This key may not call this endpoint."),
    404: ("not_found", "Nothing exists at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "The request conflicts with the current state."),
    411: ("length_required", "Send the body with a Content-Length header."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send JSON with 'Content-Type: application/json'."),
    422: ("validation_error", "The request is not valid."),
    429: ("rate_limited", "Too many requests; retry later."),
    500: ("internal_error", "Something went wrong on our side; it has been logged."),
}


__all__ = ["ErrorOut", "error_body", "error_response"]


def error_body(
    status: int,
    code: str | None = None,
    message: str | None = None,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    default_code, default_message = DEFAULT_CODES.get(
        status, ("client_error" if status < 500 else "server_error", "The request failed.")
    )
    return {
        "code": code or default_code,
        "message": message or default_message,
        "field": field,
        "details": details or [],
        "request_id": request_id_var.get(),
    }


def error_response(status: int, **kwargs: Any) -> JsonResponse:
    response = JsonResponse(
        error_body(status, **kwargs),
        status=status,
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kizuna"'
    return response


def from_domain_error(exc: KizunaError) -> JsonResponse:
    return error_response(
        exc.status, code=exc.code, message=exc.message, field=exc.field, details=exc.details
    )


def _is_missing_body(err: dict[str, Any]) -> bool:
    loc = tuple(err.get("loc", ()))
    return err.get("type") == "missing" and len(loc) == 2 and loc[0] == "body"


def from_validation_errors(errors: list[dict[str, Any]], body: Any = ABSENT) -> JsonResponse:
    if any(_is_missing_body(err) for err in errors):
        return error_response(
            400, code="empty_body", message="The body is empty; send a JSON object."
        )
    details = validation_details(errors, body)
    first = details[0] if details else {"field": None, "code": "validation_error", "message": ""}
    message = first["message"]
    if first["field"]:
        message = f"{first['field']}: {message}"
    return error_response(
        422,
        code=first["code"],
        message=message,
        field=first["field"],
        details=details,
    )


def parsed_body(request: HttpRequest) -> Any:
    """The request's JSON body for locating validation errors, or nothing when there is none."""
    try:
        return json.loads(request.body) if request.body else ABSENT
    except (ValueError, RawPostDataException, RequestDataTooBig):
        # Not JSON, or a multipart body already read as a stream, or too large to read.
        return ABSENT


def is_error_body(response: HttpResponse) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and {"code", "message", "request_id"} <= set(body)


def log_unhandled(request: HttpRequest, exc: BaseException) -> None:
    logger.error(
        "Unhandled error on %s %s (request %s)",
        request.method,
        request.path,
        request_id_var.get(),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
