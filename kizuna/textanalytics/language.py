"""Which of the supported languages a text is written in, from its scripts.

English, Japanese and Korean use different scripts, so counting characters is both exact
enough and fast: any Hangul makes a text Korean, any kana makes it Japanese, Han characters
alone make it Japanese (Korean feedback is written in Hangul), and everything else is read
as English."""

from typing import Literal

Language = Literal["en", "ja", "ko"]
LANGUAGES: tuple[Language, ...] = ("en", "ja", "ko")


def _is_hangul(code: int) -> bool:
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _is_kana(code: int) -> bool:
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D


def _is_han(code: int) -> bool:
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF


def detect_language(text: str) -> Language:
    hangul = kana = han = 0
    for char in text:
        code = ord(char)
        if code < 0x1100:
            continue
        if _is_hangul(code):
            hangul += 1
        elif _is_kana(code):
            kana += 1
        elif _is_han(code):
            han += 1
    if hangul and hangul >= kana:
        return "ko"
    if kana or han:
        return "ja"
    return "en"
