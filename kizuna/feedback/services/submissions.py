"""The parts of a submitted response beside its answers: the served language, the channel,
the device, the time per element, the metadata and the hidden fields. Each `check_*` returns
the value to store or raises 422 naming the field at fault."""

import json
import re
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.core.jsonvalues import check_json_value
from kizuna.core.text import UNSTORABLE
from kizuna.feedback.logic.languages import is_tag
from kizuna.feedback.services.answers import elements_of

CHANNELS = ("link", "email", "widget", "api", "qr", "sms", "in_app")
DEVICES = ("mobile", "tablet", "desktop")
META_MAX_BYTES = 4 * 1024
HIDDEN_VALUE_MAX = 1000
# A week on one element is a tab left open, not an answer's time; more is refused.
TIME_MS_MAX = 7 * 24 * 3600 * 1000
BROWSER_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|(Android(?!.*Mobile))", re.IGNORECASE)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry", re.IGNORECASE)


def check_language(requested: Any) -> str:
    """The language asked for, a tag; the evaluator negotiates the one served (the tag or
    its language when the survey has it, else the customer's locale, else the default)."""
    if not isinstance(requested, str) or not is_tag(requested):
        raise ValidationFailed(
            "language is a tag such as en, ja, ko or pt-BR.",
            code="invalid_language",
            field="language",
        )
    return requested


def check_channel(channel: Any, field: str) -> str:
    if channel not in CHANNELS:
        raise ValidationFailed(
            f"{field} is one of {', '.join(CHANNELS)}.", code="invalid_channel", field=field
        )
    return str(channel)


def device_of(meta: dict[str, Any], user_agent: str) -> str:
    """`meta.device` when the client says it, else what the User-Agent suggests ("" when
    there is none)."""
    if "device" in meta:
        device = meta["device"]
        if device not in DEVICES:
            raise ValidationFailed(
                f"meta.device is one of {', '.join(DEVICES)}.",
                code="invalid_device",
                field="meta.device",
            )
        return str(device)
    if not user_agent:
        return ""
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def check_meta(meta: Any) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise ValidationFailed("meta is an object.", code="invalid_meta", field="meta")
    check_json_value(meta, "meta")
    if len(json.dumps(meta, ensure_ascii=False).encode()) > META_MAX_BYTES:
        raise ValidationFailed(
            f"meta is at most {META_MAX_BYTES // 1024} KB of JSON.", code="too_large", field="meta"
        )
    if "channel" in meta:
        check_channel(meta["channel"], "meta.channel")
    return meta


def check_time_ms(definition: dict[str, Any], time_ms: Any) -> dict[str, int]:
    """Milliseconds spent per element: non-negative integers, by the ids of the elements
    of the version answered."""
    if not isinstance(time_ms, dict):
        raise ValidationFailed("time_ms is an object.", code="invalid_time", field="time_ms")
    known = {element["id"] for element in elements_of(definition)}
    for element_id, ms in time_ms.items():
        field = f"time_ms.{element_id}"
        if element_id not in known:
            raise ValidationFailed(
                "No element by this id in this survey.", code="unknown_element", field=field
            )
        if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= TIME_MS_MAX:
            raise ValidationFailed(
                f"Milliseconds are an integer from 0 to {TIME_MS_MAX}.",
                code="invalid_time",
                field=field,
            )
    return dict(time_ms)


def check_hidden(definition: dict[str, Any], hidden: Any) -> dict[str, str]:
    """Hidden fields by the names the definition declares, text values."""
    if not isinstance(hidden, dict):
        raise ValidationFailed("hidden is an object.", code="invalid_hidden", field="hidden")
    declared = set(definition.get("hidden_fields", []))
    for name, value in hidden.items():
        field = f"hidden.{name}"
        if name not in declared:
            raise ValidationFailed(
                "The survey declares no hidden field by this name.",
                code="unknown_hidden_field",
                field=field,
            )
        if not isinstance(value, str) or len(value) > HIDDEN_VALUE_MAX or UNSTORABLE.search(value):
            raise ValidationFailed(
                f"A hidden field is a text of at most {HIDDEN_VALUE_MAX} characters.",
                code="invalid_hidden",
                field=field,
            )
    return dict(hidden)


def check_browser_token(token: Any) -> str:
    if token is None:
        return ""
    if not isinstance(token, str) or not BROWSER_TOKEN.fullmatch(token):
        raise ValidationFailed(
            "browser_token is 8 to 128 letters, digits, '_', '.', ':' or '-'.",
            code="invalid_browser_token",
            field="browser_token",
        )
    return token
