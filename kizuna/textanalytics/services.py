"""Checks and entry points of text analytics. `analyze_texts` is what other apps call (the
surveys app, for answers); it checks what it receives whatever a schema checked before."""

from collections.abc import Sequence

from kizuna.core.errors import ValidationFailed
from kizuna.core.text import UNSTORABLE
from kizuna.textanalytics import errors
from kizuna.textanalytics.analysis import Analysis, TextIn, get_analyzer
from kizuna.textanalytics.language import LANGUAGES

MAX_TEXTS = 100
MAX_TEXT_LENGTH = 10_000
MAX_ID_LENGTH = 128


def check_texts(texts: Sequence[TextIn]) -> None:
    if not texts:
        raise errors.NoTexts("Send at least one text.", field="texts")
    if len(texts) > MAX_TEXTS:
        raise errors.TooManyTexts(
            f"Send at most {MAX_TEXTS} texts in one request, not {len(texts)}.", field="texts"
        )
    seen: set[str] = set()
    for index, item in enumerate(texts):
        where = f"texts[{index}]"
        if not item.id or len(item.id) > MAX_ID_LENGTH:
            raise ValidationFailed(
                f"An id is 1 to {MAX_ID_LENGTH} characters.", code="invalid_id", field=f"{where}.id"
            )
        if item.id in seen:
            raise errors.DuplicateTextId(
                f"The id {item.id!r} is used twice; ids tell the results apart.",
                field=f"{where}.id",
            )
        seen.add(item.id)
        if not item.text.strip():
            raise errors.EmptyText("The text is empty.", field=f"{where}.text")
        if len(item.text) > MAX_TEXT_LENGTH:
            raise errors.TextTooLong(
                f"A text is at most {MAX_TEXT_LENGTH:,} characters; this one has "
                f"{len(item.text):,}.",
                field=f"{where}.text",
            )
        if UNSTORABLE.search(item.text):
            raise ValidationFailed(
                "The text is not valid UTF-8: it holds NUL or an unpaired surrogate.",
                code="invalid_character",
                field=f"{where}.text",
            )
        if item.language is not None and item.language not in LANGUAGES:
            raise errors.UnsupportedLanguage(
                f"Languages are {', '.join(LANGUAGES)}; leave it out to detect it.",
                field=f"{where}.language",
            )


def analyze_texts(texts: Sequence[TextIn]) -> list[Analysis]:
    """Sentiment, score and themes of each text, in order, by the configured analyzer."""
    check_texts(texts)
    return get_analyzer().analyze(list(texts))
