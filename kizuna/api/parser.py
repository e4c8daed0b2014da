import json
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from kizuna.core.errors import MalformedRequest, UnsupportedMediaType, ValidationFailed
from kizuna.core.text import UNSTORABLE


class StrictJsonParser(Parser):
    """JSON bodies must be UTF-8 JSON objects; anything else is a 400 with a clear code."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(
                f"Send JSON with 'Content-Type: application/json', not {content_type!r}.",
                code="unsupported_media_type",
                field="Content-Type",
            )
        raw = request.body
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedRequest(
                f"The body is not valid UTF-8 (byte {exc.start}).", code="invalid_utf8"
            ) from exc
        if not text.strip():
            raise MalformedRequest("The body is empty; send a JSON object.", code="empty_body")
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise MalformedRequest(
                f"The body is not valid JSON: {exc}.", code="malformed_json"
            ) from exc
        if not isinstance(data, dict):
            raise MalformedRequest("The body must be a JSON object.", code="malformed_json")
        check_characters(data)
        return cast(dict[str, Any], data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def check_characters(value: Any, field: str = "") -> None:
    """Refuse NUL and lone surrogates in any key or string of a parsed JSON document (422,
    naming the field at fault)."""
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            raise ValidationFailed(
                "Text may not contain NUL (\\u0000) or unpaired surrogate (\\ud800-\\udfff) "
                "characters.",
                code="invalid_character",
                field=field or None,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{field}.{key}" if field else str(key)
            if UNSTORABLE.search(key):
                check_characters(key, field)
            check_characters(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_characters(item, f"{field}[{index}]")


class Utf8JsonRenderer(JSONRenderer):
    """JSON out as UTF-8 text: Japanese and Korean names stay readable, not \\u-escaped."""

    media_type = "application/json"
    json_dumps_params = {"ensure_ascii": False}

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return super().render(request, data, response_status=response_status).encode("utf-8")
