"""The analyzers: sentence vectors, lexicons and a trained linear head, per clause for
mixed feedback. Offline: every weight is in an installed wheel or in `data/`."""

import re
from collections.abc import Sequence

import numpy as np

from kizuna.textanalytics.analysis import Analysis, Sentiment, TextIn
from kizuna.textanalytics.features import REQUEST, featurize
from kizuna.textanalytics.head import CLASSES, HEADS, load_head
from kizuna.textanalytics.language import LANGUAGES, Language, detect_language
from kizuna.textanalytics.themes import text_themes

# Where a text may turn: sentence ends, commas (not in Japanese) and contrastive
# conjunctions. "Lovely staff, but the queue..." and "Amazing location, awful breakfast"
# become two clauses; the conjunction stays with the clause it opens. Clauses of one
# polarity change nothing.
_SPLIT = {
    "en": re.compile(
        r"(?<=[.!?;,])\s+|\s+(?=(?:but|however|although|though|yet|whereas)\b)",
        re.IGNORECASE,
    ),
    # Japanese sets 、 between most clauses, so only contrast turns it into a boundary.
    "ja": re.compile(
        r"(?<=[。！？!?])|(?<=けど)、?|(?<=けれど)、?|(?<=が)、|(?<=のに)、?|(?<=、)(?=でも|しかし|ただ)"
    ),
    "ko": re.compile(r"(?<=[.!?,])\s+|(?<=지만)\s+|(?<=데)\s+|(?<=데도)\s+"),
}
MIN_CLAUSE_CHARS = 2
# A polite opener ("Sorry but", "恐縮ですが", "죄송하지만") is no clause of its own: it
# frames the one after it.
_OPENER = re.compile(
    r"(?:sorry|with respect|honestly|to be honest|恐縮|恐れ入り|申し訳|申し上げにくい|"
    r"失礼|죄송|실례|송구|말씀드리기)",
    re.IGNORECASE,
)
MAX_OPENER_CHARS = 24


def clauses(text: str, language: Language) -> list[str]:
    parts = [p.strip(" 、,，") for p in _SPLIT[language].split(text)]
    parts = [p for p in parts if len(p) >= MIN_CLAUSE_CHARS]
    merged: list[str] = []
    carry = ""
    for part in parts:
        if len(part) <= MAX_OPENER_CHARS and _OPENER.search(part) and not carry:
            carry = part
            continue
        merged.append(f"{carry}{' ' if language != 'ja' and carry else ''}{part}")
        carry = ""
    if carry:
        merged.append(carry)
    return merged


def analysed_clauses(text: str, language: Language) -> list[str]:
    """The clauses whose sentiment decides whether the text is mixed; none when it has
    only one."""
    parts = clauses(text, language)
    return parts if len(parts) > 1 else []


def is_request(clause: str) -> bool:
    """A polite request ("ご確認ください", "빠른 확인 부탁드립니다") frames a complaint; it
    is never the positive side of mixed feedback."""
    return REQUEST.search(clause) is not None


def decide(
    probabilities: np.ndarray,
    clause_probabilities: Sequence[np.ndarray],
    threshold: float,
    requests: Sequence[bool] = (),
) -> tuple[Sentiment, float]:
    """The label and score of one text from its own class probabilities and its clauses':
    mixed when one clause is positive and another negative, each at least `threshold`
    sure. A clause that is a request (`requests[i]`) is not counted as positive."""
    negative, _neutral, positive = (float(p) for p in probabilities)
    score = round(positive - negative, 4)
    if len(clause_probabilities) > 1:
        stacked = np.stack(clause_probabilities)
        winners = stacked.argmax(axis=1)
        confident = stacked.max(axis=1) >= threshold
        asking = np.array(list(requests) or [False] * len(stacked))
        positive_clause = confident & (winners == 2) & ~asking
        if positive_clause.any() and (confident & (winners == 0)).any():
            return "mixed", score
    label = CLASSES[int(np.argmax(probabilities))]
    return label, score  # type: ignore[return-value]


class FastAnalyzer:
    """Sentiment and themes of English, Japanese and Korean feedback over the Universal
    Sentence Encoder: several hundred texts a second on two idle cores, less accurate."""

    weights = HEADS["use"]

    def analyze(self, texts: Sequence[TextIn]) -> list[Analysis]:
        if not texts:
            return []
        head = load_head(self.weights)
        languages = [t.language or detect_language(t.text) for t in texts]
        bodies = [t.text for t in texts]
        # Every text, then the clauses of those that have several, in one encoder batch.
        split = [analysed_clauses(t, lang) for t, lang in zip(bodies, languages, strict=True)]
        extra_texts: list[str] = []
        extra_languages: list[Language] = []
        owners: list[int] = []
        for index, parts in enumerate(split):
            if parts:
                extra_texts += parts
                extra_languages += [languages[index]] * len(parts)
                owners += [index] * len(parts)
        probabilities = head.probabilities(
            featurize(bodies + extra_texts, languages + extra_languages, head.encoder),
            languages + extra_languages,
        )
        by_text: list[list[np.ndarray]] = [[] for _ in texts]
        for offset, owner in enumerate(owners):
            by_text[owner].append(probabilities[len(texts) + offset])
        results = []
        for index, item in enumerate(texts):
            language = languages[index]
            threshold = float(head.mixed_threshold[LANGUAGES.index(language)])
            requests = [is_request(c) for c in split[index]]
            sentiment, score = decide(probabilities[index], by_text[index], threshold, requests)
            results.append(
                Analysis(
                    id=item.id,
                    language=language,
                    sentiment=sentiment,
                    score=score,
                    themes=text_themes(item.text, language),
                )
            )
        return results


class AccurateAnalyzer(FastAnalyzer):
    """The same analysis over multilingual-e5-small: more accurate, several times slower.
    The default (KIZUNA_TEXT_ANALYZER)."""

    weights = HEADS["e5"]
