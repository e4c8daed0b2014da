"""Which of a survey's languages a respondent is served, and the text of a `{default, <tag>}`
object in it.

Negotiation tries, in order, the language asked for (`language` of the request), then the
customer's locale, then the survey's `default_language`. Each candidate tag is matched
case-insensitively against the survey's languages, dropping subtags from the end until one
matches (`pt-BR` -> `pt`); a bare language also matches the survey's first tag of that
language (`pt` -> `pt-BR` when the survey has `pt-BR` but not `pt`). The served tag is
spelled as the survey spells it."""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# BCP 47 in the shape Kizuna accepts: a language and optional subtags of letters and digits.
TAG = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")


def is_tag(value: str) -> bool:
    return bool(TAG.fullmatch(value)) and len(value) <= 35


def _match(candidate: str, languages: Sequence[str]) -> str | None:
    by_lower = {language.lower(): language for language in languages}
    parts = candidate.replace("_", "-").lower().split("-")
    while parts:
        found = by_lower.get("-".join(parts))
        if found is not None:
            return found
        parts.pop()
    primary = candidate.replace("_", "-").lower().split("-", 1)[0]
    return next((lang for lang in languages if lang.lower().split("-", 1)[0] == primary), None)


def negotiate(
    candidates: Iterable[str | None], languages: Sequence[str], default_language: str
) -> str:
    """The first candidate the survey speaks, or its default language."""
    for candidate in candidates:
        if candidate:
            found = _match(candidate, languages)
            if found is not None:
                return found
    return default_language


def pick(text: Any, served: str, default_language: str) -> str:
    """The text of a `{default, <tag>: ...}` object in the served language: its own text,
    else the default. A plain string (never in a valid definition) is returned as is."""
    if isinstance(text, str):
        return text
    if not isinstance(text, Mapping):
        return ""
    if served != default_language:
        own = text.get(served)
        if isinstance(own, str):
            return own
    default = text.get("default")
    return default if isinstance(default, str) else ""
