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


_SOURCES = frozenset({"body", "query", "path", "header", "form", "file", "cookie"})
_ABSENT = object()


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


def loc_to_field(
    loc: list[Any] | tuple[Any, ...], body: Any = _ABSENT, *, missing: bool = False
) -> str | None:
    """('body', 'payload', 'items', 0, 'quantity') -> 'items[0].quantity'.

    Validation locations also hold steps that are not in the input: the member tried in a
    union ('str', 'int', a model's name, a discriminator's value) and '[key]' for a dict's
    keys. With the parsed `body` at hand, a step that the input does not contain is such a
    step and is left out, except the last one of a `missing` error (the absent field)."""
    parts = list(loc)
    source = None
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    walk = source == "body" and body is not _ABSENT
    node = body
    field = ""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if walk:
            child = _child(node, part)
            if child is not _ABSENT:
                node = child
            elif not (last and missing):
                continue
        elif part == "[key]" or (
            isinstance(part, str) and part.startswith(("function-", "union[", "tagged-union"))
        ):
            continue
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += ("." if field else "") + str(part)
    return field or None


_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "timezone_aware": "datetime_without_offset",
    "string_unicode": "invalid_character",
    "value_error": "validation_error",
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


def _merge_alternatives(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One detail per field: the members of a union each report on the same value, so
    'a valid string', 'a valid boolean'... become one message listing what is accepted."""
    merged: dict[str | None, list[dict[str, Any]]] = {}
    for detail in details:
        merged.setdefault(detail["field"], []).append(detail)
    result = []
    for group in merged.values():
        if len(group) == 1:
            result.append(group[0])
            continue
        prefix = "Input should be "
        if all(d["message"].startswith(prefix) for d in group):
            options = list(dict.fromkeys(d["message"].removeprefix(prefix) for d in group))
            message = prefix + (
                options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]
            )
        else:
            message = "; ".join(dict.fromkeys(d["message"] for d in group))
        codes = {d["code"] for d in group}
        result.append(
            {
                "field": group[0]["field"],
                "code": codes.pop() if len(codes) == 1 else "invalid_type",
                "message": message,
            }
        )
    return result


def validation_details(errors: list[dict[str, Any]], body: Any = _ABSENT) -> list[dict[str, Any]]:
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
                "field": loc_to_field(err.get("loc", ()), body, missing=kind == "missing"),
                "code": _friendly_code(kind),
                "message": message,
            }
        )
    return _merge_alternatives(details)


def _is_missing_body(err: dict[str, Any]) -> bool:
    loc = tuple(err.get("loc", ()))
    return err.get("type") == "missing" and len(loc) == 2 and loc[0] == "body"


def from_validation_errors(errors: list[dict[str, Any]], body: Any = _ABSENT) -> JsonResponse:
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
        return json.loads(request.body) if request.body else _ABSENT
    except (ValueError, RawPostDataException, RequestDataTooBig):
        # Not JSON, or a multipart body already read as a stream, or too large to read.
        return _ABSENT


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
