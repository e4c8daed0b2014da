"""The features the sentiment head reads: the sentence vector, lexicon and surface cues,
the language, and hashed word n-grams with negation marked."""

import itertools
import math
import re
import zlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from kizuna.textanalytics.encoder import EncoderName, get_encoder
from kizuna.textanalytics.language import LANGUAGES, Language
from kizuna.textanalytics.lexicon import emoji_score, hits
from kizuna.textanalytics.tokens import Token, tokenize

HASH_BUCKETS = 2048
CUES = (
    "lex_positive",
    "lex_negative",
    "lex_positive_max",
    "lex_negative_max",
    "lex_balance",
    "lex_negated",
    "emoji_positive",
    "emoji_negative",
    "question",
    "exclamation",
    "request",
    "apology",
    "contrast",
    "length",
    "vader",
)
CUE_COUNT = len(CUES)
OTHER_FEATURES = CUE_COUNT + len(LANGUAGES) + HASH_BUCKETS


def dimensions(encoder: EncoderName) -> int:
    return get_encoder(encoder).dimensions + OTHER_FEATURES


_QUESTION = re.compile(r"[?？]|(?:ですか|ますか|でしょうか|나요|까요|ㄹ까|습니까|인가요)")
# Asking for something politely: neutral on its own, a complaint's frame with a negative.
REQUEST = re.compile(
    r"\bplease\b|\bcould you\b|\bcan you\b"
    r"|ください|お願い|頂け|いただけ|幸い|부탁|주세요|바랍니다|주시기",
    re.IGNORECASE,
)
# Keigo and honorific softeners that open a complaint: 恐縮ですが, 申し訳ないのですが, 죄송하지만.
_APOLOGY = re.compile(
    r"\bsorry\b|\bwith respect\b"
    r"|恐縮|恐れ入り|申し訳|申し上げにくい|残念|죄송|실례|유감|말씀드리기",
    re.IGNORECASE,
)
CONTRAST = re.compile(
    r"\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\byet\b|けど|けれど|ですが|ましたが|のに|"
    r"しかし|でも|ただ、|지만|는데|은데|그런데|하지만|다만|반면",
    re.IGNORECASE,
)


@cache
def _vader() -> Any:
    """VADER's own rules (negation, "but", intensifiers, capitals) over its lexicon, for
    English only."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _bucket(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % HASH_BUCKETS


def cues(text: str, tokens: Sequence[Token], language: Language) -> list[float]:
    found = hits(tokens, language)
    positive = [h.weight for h in found if h.weight > 0]
    negative = [-h.weight for h in found if h.weight < 0]
    emoji_positive, emoji_negative = emoji_score(text)
    return [
        math.tanh(sum(positive)),
        math.tanh(sum(negative)),
        max(positive, default=0.0),
        max(negative, default=0.0),
        math.tanh(sum(positive) - sum(negative)),
        float(sum(h.negated for h in found)),
        math.tanh(emoji_positive),
        math.tanh(emoji_negative),
        1.0 if _QUESTION.search(text) else 0.0,
        1.0 if "!" in text or "！" in text else 0.0,
        1.0 if REQUEST.search(text) else 0.0,
        1.0 if _APOLOGY.search(text) else 0.0,
        1.0 if CONTRAST.search(text) else 0.0,
        math.log1p(len(tokens)) / 4.0,
        _vader().polarity_scores(text)["compound"] if language == "en" else 0.0,
    ]


def ngram_buckets(tokens: Sequence[Token], language: Language) -> list[int]:
    words = [
        ("NOT_" if t.negated else "") + t.lemma.lower()
        for t in tokens
        if t.kind != "punct" and t.lemma.strip()
    ]
    keys = [f"{language}:{w}" for w in words]
    keys += [f"{language}:{a}_{b}" for a, b in itertools.pairwise(words)]
    return [_bucket(k) for k in keys]


def featurize(
    texts: Sequence[str], languages: Sequence[Language], encoder: EncoderName = "use"
) -> np.ndarray:
    """One row per text: [sentence vector | cues | language one-hot | hashed n-grams]."""
    vector_size = get_encoder(encoder).dimensions
    matrix = np.zeros((len(texts), vector_size + OTHER_FEATURES), dtype=np.float32)
    if not texts:
        return matrix
    matrix[:, :vector_size] = get_encoder(encoder).encode(list(texts))
    cue_start = vector_size
    lang_start = cue_start + CUE_COUNT
    hash_start = lang_start + len(LANGUAGES)
    for row, (text, language) in enumerate(zip(texts, languages, strict=True)):
        tokens = tokenize(text, language)
        matrix[row, cue_start:lang_start] = cues(text, tokens, language)
        matrix[row, lang_start + LANGUAGES.index(language)] = 1.0
        for bucket in ngram_buckets(tokens, language):
            matrix[row, hash_start + bucket] = 1.0
    return matrix
