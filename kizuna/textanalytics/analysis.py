"""The one interface of text analytics: an `Analyzer` turns texts into results. The
implementation is chosen by the `KIZUNA_TEXT_ANALYZER` setting (a dotted path to a class
built without arguments); callers use `get_analyzer()` and never name the class, so a better
model replaces the default without touching them."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from kizuna.textanalytics.language import Language

Sentiment = Literal["positive", "negative", "neutral", "mixed"]
SENTIMENTS: tuple[Sentiment, ...] = ("positive", "negative", "neutral", "mixed")
DEFAULT_ANALYZER = "kizuna.textanalytics.sentiment.AccurateAnalyzer"


@dataclass(frozen=True, slots=True)
class TextIn:
    id: str
    text: str
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    id: str
    language: Language
    sentiment: Sentiment
    score: float  # -1 (negative) to 1 (positive)
    themes: list[str] = field(default_factory=list)


class Analyzer(Protocol):
    def analyze(self, texts: Sequence[TextIn]) -> list[Analysis]:
        """One result per text, in order. Texts are already checked (non-empty, at most
        MAX_TEXT_LENGTH characters); a missing language is detected."""
        ...


@cache
def _analyzer(path: str) -> Analyzer:
    analyzer: Analyzer = import_string(path)()
    return analyzer


def get_analyzer() -> Analyzer:
    return _analyzer(settings.KIZUNA_TEXT_ANALYZER or DEFAULT_ANALYZER)
