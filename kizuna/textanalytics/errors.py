"""Errors of text analytics (422 with the field at fault)."""

from kizuna.core.errors import ValidationFailed


class EmptyText(ValidationFailed):
    code = "empty_text"


class TextTooLong(ValidationFailed):
    code = "text_too_long"


class TooManyTexts(ValidationFailed):
    code = "too_many_texts"


class NoTexts(ValidationFailed):
    code = "no_texts"


class DuplicateTextId(ValidationFailed):
    code = "duplicate_id"


class UnsupportedLanguage(ValidationFailed):
    code = "unsupported_language"
