import json
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser

from kizuna.core.errors import MalformedRequest


class StrictJsonParser(Parser):
    """JSON bodies must be UTF-8 JSON objects; anything else is a 400 with a clear code."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
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
        return cast(dict[str, Any], data)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")
