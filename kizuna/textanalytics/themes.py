"""Themes of feedback: key phrases per text, a shared catalogue of common customer themes
(delivery, price, staff...) named in all three languages, and for a set of texts the themes
with their counts, examples and average sentiment, plus the themes that drive one group
(detractors) more than another (promoters).

The surveys app passes its answers as `TextIn` (and, for drivers, a group per answer);
nothing here knows about surveys."""

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from kizuna.textanalytics.analysis import Analysis, TextIn, get_analyzer
from kizuna.textanalytics.language import Language
from kizuna.textanalytics.lexicon import lexicon
from kizuna.textanalytics.tokens import EN_STOPWORDS, Token, tokenize, words

CATALOGUE = Path(__file__).resolve().parent / "data" / "themes.json"
MAX_TEXT_THEMES = 6
MAX_PHRASE_WORDS = 3
# Phrases whose sentence vectors are at least this close join one theme.
SIMILAR_PHRASES = 0.72
BATCH = 100

_JA_GENERIC = words(
    """
    こと もの 方 時 為 所 よう 感じ 今回 前回 皆さん 皆様 御 何 他 際
    中 後 前 様 さん 本当 一 二 三 回 度 円 個 内容 自体 以上 以下 今日 昨日 明日 時間 週間
    """
)
_KO_GENERIC = words(
    """
    것 수 때 분 거 데 중 번 정도 이번 지난번 그냥 진짜 정말 너무 오늘 어제 내일 저 제 우리
    말 내용 자체 이후 이상 이하 전 후 뭐 누구 하나 다음 동안 처음
    """
)
_EN_GENERIC = words(
    """
    half anyone someone everyone anybody somebody everybody anything something everything
    nothing thing stuff part kind sort lot bit way time times day days week weeks month
    year years hour hours minute minutes second seconds today yesterday tomorrow now open
    """
)


@dataclass(frozen=True, slots=True)
class Theme:
    key: str  # a catalogue key ("delivery") or "phrase:<label>"
    label: str
    count: int  # texts that mention it
    share: float  # of all texts given
    keywords: list[str]
    examples: list[str]  # ids of up to three texts
    average_score: float
    sentiments: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Driver:
    key: str
    label: str
    focus_count: int
    baseline_count: int
    focus_share: float
    baseline_share: float
    difference: float  # focus share minus baseline share: what the ranking follows
    lift: float  # add-one smoothed focus share over smoothed baseline share


# ------------------------------------------------------------------ per text


@cache
def _catalogue(language: Language) -> dict[tuple[str, ...], str]:
    entries: dict[tuple[str, ...], str] = {}
    for key, spec in json.loads(CATALOGUE.read_text("utf-8")).items():
        for term in spec[language]:
            lemmas = tuple(t.lemma for t in _content(tokenize(term, language)))
            if lemmas:
                entries.setdefault(lemmas, key)
    return entries


@cache
def catalogue_labels() -> dict[str, str]:
    return {k: v["label"] for k, v in json.loads(CATALOGUE.read_text("utf-8")).items()}


def _content(tokens: Sequence[Token]) -> list[Token]:
    return [t for t in tokens if t.kind in {"noun", "verb", "adj", "adv"}]


def _is_phrase_word(token: Token, language: Language) -> bool:
    if token.kind != "noun" or not token.lemma.strip() or token.lemma.isdigit():
        return False
    if language == "en":
        lemma = token.lemma
        return len(lemma) > 2 and lemma.isalpha() and lemma not in EN_STOPWORDS | _EN_GENERIC
    generic = _JA_GENERIC if language == "ja" else _KO_GENERIC
    return token.lemma not in generic and not (len(token.lemma) == 1 and language == "ja")


def key_phrases(text: str, language: Language) -> list[str]:
    """Runs of nouns ("決済画面", "delivery driver", "배송 조회") that carry no sentiment of
    their own, most frequent first."""
    tokens = tokenize(text, language)
    polar = lexicon(language)
    phrases: list[str] = []
    run: list[Token] = []

    def flush() -> None:
        words = [t for t in run if (t.lemma,) not in polar]
        if words:
            joiner = "" if language == "ja" else " "
            phrases.append(joiner.join(t.lemma.lower() for t in words[-MAX_PHRASE_WORDS:]))
        run.clear()

    for token in tokens:
        if _is_phrase_word(token, language):
            run.append(token)
        else:
            flush()
    flush()
    counts = Counter(phrases)
    return [p for p, _ in counts.most_common()]


def catalogue_matches(tokens: Sequence[Token], language: Language) -> list[tuple[str, str]]:
    """(catalogue key, the words that named it) in order of appearance, each key once."""
    entries = _catalogue(language)
    lemmas = [t.lemma for t in _content(tokens)]
    found: dict[str, str] = {}
    for i in range(len(lemmas)):
        for n in (2, 1):
            words_here = tuple(lemmas[i : i + n])
            key = entries.get(words_here)
            if key and key not in found:
                found[key] = ("" if language == "ja" else " ").join(words_here).lower()
    return list(found.items())


def catalogue_themes(tokens: Sequence[Token], language: Language) -> list[str]:
    return [key for key, _words in catalogue_matches(tokens, language)]


def text_themes(text: str, language: Language) -> list[str]:
    """Catalogue keys first, then key phrases that no catalogue theme covers."""
    tokens = tokenize(text, language)
    found = catalogue_themes(tokens, language)
    entries = _catalogue(language)
    for phrase in key_phrases(text, language):
        words = tuple(phrase.split()) if language != "ja" else (phrase,)
        if entries.get(words) is None and phrase not in found:
            found.append(phrase)
    return found[:MAX_TEXT_THEMES]


# ------------------------------------------------------------------ over many texts


def _analyse(texts: Sequence[TextIn]) -> list[Analysis]:
    analyzer = get_analyzer()
    results: list[Analysis] = []
    for start in range(0, len(texts), BATCH):
        results += analyzer.analyze(texts[start : start + BATCH])
    return results


def _cluster(phrases: list[str], counts: Counter[str]) -> dict[str, str]:
    """Phrase -> the phrase that names its cluster: greedy, most frequent first, joining the
    first cluster whose name is similar enough (the sentence encoder is multilingual, so
    "配送" and "delivery" can meet)."""
    from kizuna.textanalytics.encoder import get_encoder

    if not phrases:
        return {}
    ordered = sorted(phrases, key=lambda p: (-counts[p], p))
    vectors = get_encoder("use").encode(ordered)
    heads: list[int] = []
    owner: dict[str, str] = {}
    for i, phrase in enumerate(ordered):
        if heads:
            similarity = vectors[heads] @ vectors[i]
            best = int(np.argmax(similarity))
            if float(similarity[best]) >= SIMILAR_PHRASES:
                owner[phrase] = ordered[heads[best]]
                continue
        heads.append(i)
        owner[phrase] = phrase
    return owner


def _theme_sets(
    texts: Sequence[TextIn], results: Sequence[Analysis], min_count: int
) -> tuple[list[set[str]], dict[str, list[str]]]:
    """Each text's theme keys, and each key's keywords (most frequent first): the words
    that named a catalogue theme, the phrases clustered into a phrase theme."""
    labels = catalogue_labels()
    phrase_counts: Counter[str] = Counter()
    for r in results:
        phrase_counts.update({t for t in r.themes if t not in labels})
    frequent = [p for p, c in phrase_counts.items() if c >= min_count]
    owner = _cluster(frequent, phrase_counts)
    keywords: dict[str, Counter[str]] = defaultdict(Counter)
    sets: list[set[str]] = []
    for text, r in zip(texts, results, strict=True):
        keys: set[str] = set()
        named = dict(catalogue_matches(tokenize(text.text, r.language), r.language))
        for t in r.themes:
            if t in labels:
                keys.add(t)
                keywords[t][named.get(t, labels[t].lower())] += 1
            elif t in owner:
                key = f"phrase:{owner[t]}"
                keys.add(key)
                keywords[key][t] += 1
        sets.append(keys)
    return sets, {k: [w for w, _ in c.most_common(5)] for k, c in keywords.items()}


def _label(key: str) -> str:
    return catalogue_labels().get(key, key.removeprefix("phrase:"))


def find_themes(
    texts: Sequence[TextIn],
    results: Sequence[Analysis] | None = None,
    *,
    min_count: int = 2,
    limit: int = 20,
) -> list[Theme]:
    """The themes of a set of texts, most mentioned first. Pass `results` when the texts
    were analysed already (stored answers); otherwise they are analysed here."""
    results = list(results) if results is not None else _analyse(texts)
    sets, keywords = _theme_sets(texts, results, min_count)
    members: dict[str, list[int]] = defaultdict(list)
    for index, keys in enumerate(sets):
        for key in keys:
            members[key].append(index)
    themes = []
    for key, indexes in members.items():
        if len(indexes) < min_count:
            continue
        scores = [results[i].score for i in indexes]
        themes.append(
            Theme(
                key=key,
                label=_label(key),
                count=len(indexes),
                share=round(len(indexes) / len(results), 4),
                keywords=keywords[key],
                examples=[results[i].id for i in indexes[:3]],
                average_score=round(float(np.mean(scores)), 4),
                sentiments=dict(Counter(results[i].sentiment for i in indexes)),
            )
        )
    themes.sort(key=lambda t: (-t.count, t.key))
    return themes[:limit]


def drivers(
    items: Sequence[tuple[TextIn, str]],
    *,
    focus: str = "detractor",
    baseline: str = "promoter",
    results: Sequence[Analysis] | None = None,
    min_count: int = 2,
    limit: int = 10,
) -> list[Driver]:
    """What drives the `focus` group: themes ranked by how much more often they appear in
    its texts than in the `baseline` group's, in shares of each group's texts (a theme in
    60% of detractors' answers and 10% of promoters' comes before one in 6% and 0%); the
    add-one smoothed ratio of the shares (`lift`) breaks ties. Items are (text, group)
    pairs, e.g. an answer and its respondent's NPS category."""
    texts = [text for text, _group in items]
    groups = [group for _text, group in items]
    results = list(results) if results is not None else _analyse(texts)
    sets, _keywords = _theme_sets(texts, results, min_count)
    n_focus = groups.count(focus)
    n_baseline = groups.count(baseline)
    focus_counts: Counter[str] = Counter()
    baseline_counts: Counter[str] = Counter()
    for keys, group in zip(sets, groups, strict=True):
        if group == focus:
            focus_counts.update(keys)
        elif group == baseline:
            baseline_counts.update(keys)
    ranked = []
    for key, count in focus_counts.items():
        if count < min_count:
            continue
        in_baseline = baseline_counts[key]
        focus_share = count / n_focus
        baseline_share = in_baseline / n_baseline if n_baseline else 0.0
        lift = ((count + 1) / (n_focus + 2)) / ((in_baseline + 1) / (n_baseline + 2))
        if focus_share <= baseline_share or lift <= 1.0:
            continue
        ranked.append(
            Driver(
                key=key,
                label=_label(key),
                focus_count=count,
                baseline_count=in_baseline,
                focus_share=round(focus_share, 4),
                baseline_share=round(baseline_share, 4),
                difference=round(focus_share - baseline_share, 4),
                lift=round(lift, 4),
            )
        )
    ranked.sort(key=lambda d: (-d.difference, -d.lift, d.key))
    return ranked[:limit]
