import json
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from kizuna.core.errors import MalformedRequest, UnsupportedMediaType
from kizuna.core.jsonvalues import check_json_value, object_pairs


class StrictJsonParser(Parser):
    """JSON bodies must be UTF-8 JSON objects; anything else is a 400 with a clear code. Every
    value in them is one that both databases can store (`check_json_value`): finite numbers,
    no NUL or lone surrogates, bounded nesting, no key twice in an object."""

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
            data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=object_pairs)
        except RecursionError as exc:
            raise MalformedRequest(
                "The body is nested too deeply to be read.", code="malformed_request"
            ) from exc
        except ValueError as exc:
            raise MalformedRequest(
                f"The body is not valid JSON: {exc}.", code="malformed_json"
            ) from exc
        if not isinstance(data, dict):
            raise MalformedRequest("The body must be a JSON object.", code="malformed_json")
        check_json_value(data)
        return cast(dict[str, Any], data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


class Utf8JsonRenderer(JSONRenderer):
    """JSON out as UTF-8 text: Japanese and Korean names stay readable, not \\u-escaped."""

    media_type = "application/json"
    json_dumps_params = {"ensure_ascii": False}

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return super().render(request, data, response_status=response_status).encode("utf-8")
