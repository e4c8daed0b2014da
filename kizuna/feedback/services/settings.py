"""The settings of a survey beside its definition: name, languages, time zone, targeting,
recontact and schedule. `check_settings` validates what a body holds and returns it clean."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from kizuna.core import conditions as c
from kizuna.core.errors import ValidationFailed, refuse_nulls
from kizuna.core.models import Workspace
from kizuna.core.text import UNSTORABLE
from kizuna.feedback.services.fatigue import MAX_DAYS, check_recontact

NAME_MAX_LENGTH = 200
MAX_LANGUAGES = 30
RECONTACT_MAX_DAYS = MAX_DAYS
# The last year a schedule may name: beyond it a time cannot always be moved to UTC.
MAX_YEAR = 9999
# A BCP 47 language tag as surveys use them: en, ja, ko, pt-BR, zh-Hant-TW.
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
# Fields a change may not set to null (`targeting`, `recontact` and `schedule` may be null).
NOT_NULL = ("name", "languages", "default_language", "timezone", "definition")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _name(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > NAME_MAX_LENGTH
        or UNSTORABLE.search(value)
    ):
        raise ValidationFailed(
            f"A name of 1 to {NAME_MAX_LENGTH} characters.", code="invalid_name", field="name"
        )
    return value.strip()


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LANGUAGES:
        raise ValidationFailed(
            f"languages lists 1 to {MAX_LANGUAGES} language tags.",
            code="invalid_language",
            field="languages",
        )
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not LANGUAGE.fullmatch(tag) or tag == "default":
            raise ValidationFailed(
                "A language is a tag such as en, ja, ko or pt-BR.",
                code="invalid_language",
                field=f"languages[{i}]",
            )
        if tag in value[:i]:
            raise ValidationFailed(
                f"{tag!r} is listed twice.", code="invalid_language", field=f"languages[{i}]"
            )
    return list(value)


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or value not in _timezones():
        raise ValidationFailed(
            "Time zones are IANA names such as Asia/Tokyo.",
            code="invalid_timezone",
            field="timezone",
        )
    return value


def _schedule(value: Any) -> tuple[datetime | None, datetime | None]:
    if value is None:
        return None, None
    starts_at, ends_at = value.get("starts_at"), value.get("ends_at")
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment is not None and moment.year >= MAX_YEAR:
            raise ValidationFailed(
                f"Times are before the year {MAX_YEAR}.",
                code="invalid_schedule",
                field=f"schedule.{name}",
            )
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed(
            "The schedule ends after it starts.", code="invalid_schedule", field="schedule.ends_at"
        )
    return _utc(starts_at), _utc(ends_at)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def check_settings(
    workspace: Workspace, data: Mapping[str, Any], *, partial: bool
) -> dict[str, Any]:
    """The settings present in `data`, checked (all of them, on create); `schedule` becomes
    `starts_at` and `ends_at`. Whether default_language is one of the languages is checked
    by the caller, which knows both."""
    clean: dict[str, Any] = {}
    if partial:
        refuse_nulls(data, NOT_NULL)
    if "name" in data or not partial:
        clean["name"] = _name(data.get("name"))
    if "languages" in data or not partial:
        clean["languages"] = _languages(data.get("languages"))
    if "default_language" in data or not partial:
        language = data.get("default_language")
        if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
            raise ValidationFailed(
                "default_language is one of the survey's languages.",
                code="invalid_language",
                field="default_language",
            )
        clean["default_language"] = language
    if "timezone" in data or not partial:
        clean["timezone"] = _timezone(data.get("timezone"))
    if "targeting" in data:
        if data["targeting"] is not None:
            c.parse(
                data["targeting"],
                workspace=workspace,
                subjects={"customer"},
                root="targeting",
                usage="targeting",
            )
        clean["targeting"] = data["targeting"]
    if "recontact" in data:
        clean["recontact"] = check_recontact(data["recontact"])
    if "schedule" in data:
        clean["starts_at"], clean["ends_at"] = _schedule(data["schedule"])
    return clean


def check_default_language(languages: list[str], default_language: str) -> None:
    if default_language not in languages:
        raise ValidationFailed(
            f"default_language is one of the survey's languages ({', '.join(languages)}).",
            code="invalid_language",
            field="default_language",
        )
