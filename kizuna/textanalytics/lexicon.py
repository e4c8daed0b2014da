"""Polarity lexicons: a weight from -1 to 1 for words and phrases, read with the same
tokenizer as the texts so that inflected forms match (良くなかった matches 良い, negated).

English uses the VADER lexicon (MIT), which ships in the vaderSentiment wheel; Japanese,
Korean and emoji use lexicons written for Kizuna (`data/lexicon/`)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from kizuna.textanalytics.language import Language
from kizuna.textanalytics.tokens import Token, tokenize

DATA = Path(__file__).resolve().parent / "data"
MAX_PHRASE = 3
# A negated positive is a weaker negative ("not great"), a negated negative a weak positive
# ("not bad").
NEGATED_POSITIVE = -0.7
NEGATED_NEGATIVE = -0.4


@dataclass(frozen=True, slots=True)
class Hit:
    weight: float  # after negation
    negated: bool


def _read_tsv(path: Path) -> list[tuple[str, float]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        term, weight = line.split("\t")
        rows.append((term, float(weight)))
    return rows


def _vader_rows() -> list[tuple[str, float]]:
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].replace("-", "").replace("'", "").isalpha():
            rows.append((parts[0], max(-1.0, min(1.0, float(parts[1]) / 3.0))))
    return rows


def _key(tokens: Sequence[Token]) -> tuple[str, ...]:
    lemmas = [t.lemma for t in tokens if t.kind != "punct" and t.lemma.strip()]
    # Inflection endings and particles at the end of an entry ("좋다", "がっかりする") are
    # not part of what it means.
    while len(lemmas) > 1 and tokens and _is_ending(lemmas[-1], tokens):
        lemmas.pop()
    return tuple(lemmas)


def _is_ending(lemma: str, tokens: Sequence[Token]) -> bool:
    for token in reversed(tokens):
        if token.lemma == lemma:
            return token.kind == "other"
    return False


@cache
def lexicon(language: Language) -> dict[tuple[str, ...], float]:
    rows = _vader_rows() if language == "en" else _read_tsv(DATA / "lexicon" / f"{language}.tsv")
    entries: dict[tuple[str, ...], float] = {}
    for term, weight in rows:
        key = _key(tokenize(term, language))
        if key and len(key) <= MAX_PHRASE:
            entries.setdefault(key, weight)
    return entries


@cache
def emoji() -> dict[str, float]:
    return dict(_read_tsv(DATA / "lexicon" / "emoji.tsv"))


def hits(tokens: Sequence[Token], language: Language) -> list[Hit]:
    """The lexicon entries found in a text, longest match first, each token used once."""
    entries = lexicon(language)
    words = [t for t in tokens if t.kind != "punct" and t.lemma.strip()]
    found: list[Hit] = []
    i = 0
    while i < len(words):
        for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            span = words[i : i + n]
            key = tuple(t.lemma for t in span)
            weight = entries.get(key)
            if weight is None and language == "en":
                weight = entries.get(tuple(t.surface.lower() for t in span))
            if weight is None or (n == 1 and span[0].kind == "neg"):
                continue
            negated = any(t.negated for t in span) and not any(t.kind == "neg" for t in span)
            if negated:
                weight = weight * (NEGATED_POSITIVE if weight > 0 else NEGATED_NEGATIVE)
            found.append(Hit(weight, negated))
            i += n
            break
        else:
            i += 1
    return found


def emoji_score(text: str) -> tuple[float, float]:
    """Summed positive and negative emoji weights (emoji are matched in the raw text)."""
    positive = negative = 0.0
    for symbol, weight in emoji().items():
        count = text.count(symbol)
        if count:
            if weight > 0:
                positive += weight * count
            else:
                negative -= weight * count
    return positive, negative


def squash(value: float) -> float:
    return math.tanh(value)
