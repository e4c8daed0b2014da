"""The language a hosted page is served in: `?lang=` (kept for the visit), then the
browser's Accept-Language in its order of preference, then the customer's locale (a
personal link), then the survey's default language; each matched against the survey's
languages as the evaluator matches them (`ja-JP` -> `ja`)."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import get_language_info
from django.utils.translation.trans_real import parse_accept_lang_header

from kizuna.feedback.logic.languages import is_tag, negotiate
from kizuna.feedback.models import Survey

AUTONYMS = {"en": "English", "ja": "日本語", "ko": "한국어"}


@dataclass
class Choice:
    tag: str
    name: str
    current: bool


def asked(request: HttpRequest) -> str | None:
    """The language named by `?lang=`, when it is a language tag."""
    tag = request.GET.get("lang", "")
    return tag if tag and is_tag(tag) else None


def served_language(
    survey: Survey, request: HttpRequest, *, chosen: str | None, locale: str | None
) -> str:
    accepted = [
        tag for tag, _ in parse_accept_lang_header(request.headers.get("Accept-Language", ""))
    ]
    candidates = [chosen, *[tag for tag in accepted if tag != "*"], locale]
    return negotiate(candidates, survey.languages, survey.default_language)


def autonym(tag: str) -> str:
    primary = tag.split("-", 1)[0].lower()
    if primary in AUTONYMS:
        return AUTONYMS[primary] if tag == primary else f"{AUTONYMS[primary]} ({tag})"
    try:
        return str(get_language_info(tag)["name_local"])
    except KeyError:
        return tag


def switcher(survey: Survey, served: str) -> list[Choice]:
    return [Choice(tag, autonym(tag), tag == served) for tag in survey.languages]
