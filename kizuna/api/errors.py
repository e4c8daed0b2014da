"""One error body for every status >= 400:
`{"code", "message", "field", "details", "request_id"}`."""

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from kizuna.core.errors import KizunaError
from kizuna.core.logging import request_id_var
from kizuna.core.schemas import ErrorOut

logger = logging.getLogger("kizuna.api")

DEFAULT_CODES = {
    400: ("malformed_request", "The request could not be read."),
    401: ("not_authenticated", "Send an API key as 'Authorization: Bearer <key>'."),
    403: ("permission_denied", "This key may not call this endpoint."),
    404: ("not_found", "Nothing exists at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "The request conflicts with the current state."),
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
    response = JsonResponse(error_body(status, **kwargs), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kizuna"'
    return response


def from_domain_error(exc: KizunaError) -> JsonResponse:
    return error_response(
        exc.status, code=exc.code, message=exc.message, field=exc.field, details=exc.details
    )


def loc_to_field(loc: list[Any] | tuple[Any, ...]) -> str | None:
    """('body', 'payload', 'items', 0, 'quantity') -> 'items[0].quantity'."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file"}:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    field = ""
    for part in parts:
        if isinstance(part, int):
            field += f"[{part}]"
        elif isinstance(part, str) and part.startswith(("function-", "union[", "tagged-union")):
            continue
        else:
            field += ("." if field else "") + str(part)
    return field or None


_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "timezone_aware": "datetime_without_offset",
}


def _friendly_code(kind: str) -> str:
    if kind in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[kind]
    if kind.endswith(("_type", "_parsing")) or kind in {"is_instance_of", "model_attributes_type"}:
        return "invalid_type"
    if kind.startswith(("greater_than", "less_than")):
        return "out_of_range"
    if kind in {"literal_error", "enum"}:
        return "invalid_choice"
    if kind in {"too_long", "too_short"}:
        return f"list_{kind}"
    return kind


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        kind = str(err.get("type", "invalid"))
        message = str(err.get("msg", "Invalid value."))
        custom = err.get("ctx", {}).get("error") if isinstance(err.get("ctx"), dict) else None
        if isinstance(custom, KizunaError):
            kind, message = custom.code, custom.message
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        details.append(
            {
                "field": loc_to_field(err.get("loc", ())),
                "code": _friendly_code(kind),
                "message": message,
            }
        )
    return details


def from_validation_errors(errors: list[dict[str, Any]]) -> JsonResponse:
    details = validation_details(errors)
    first = details[0] if details else {"field": None, "code": "validation_error", "message": ""}
    message = first["message"]
    if first["field"]:
        message = f"{first['field']}: {message}"
    return error_response(
        422,
        code=first["code"] if first["code"] != "value_error" else "validation_error",
        message=message,
        field=first["field"],
        details=details,
    )


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
