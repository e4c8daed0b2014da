"""Words of a text, per language: lemma, a coarse part of speech, and whether a negation
reaches it. Japanese goes through Sudachi (SudachiDict core), Korean through Kiwi; both
dictionaries ship in their wheels. English needs no dictionary: a regular expression and a
few suffix rules are enough for sentiment and key phrases."""

import re
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from kizuna.textanalytics.language import Language

Kind = Literal["noun", "verb", "adj", "adv", "neg", "punct", "other"]


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    lemma: str
    kind: Kind
    negated: bool = False


_lock = threading.Lock()


def words(text: str) -> frozenset[str]:
    """A word list written as one string, separated by white space."""
    return frozenset(text.split())


@cache
def _sudachi() -> Any:
    from sudachipy import Dictionary, SplitMode

    with _lock:
        return Dictionary(dict="core").tokenizer(mode=SplitMode.C)


@cache
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    with _lock, warnings.catch_warnings():
        # 0 is one thread since kiwipiepy 0.21 (which we require); it warns about the change.
        warnings.simplefilter("ignore", DeprecationWarning)
        return Kiwi(num_workers=0)


# ------------------------------------------------------------------ English

_EN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[^\sa-z0-9]", re.IGNORECASE)
_EN_NEGATIONS = words(
    """
    not no never nothing nobody none nor cannot without hardly barely neither
    """
)
_EN_SCOPE_END = words(
    """
    . , ; : ! ? but however although though yet
    """
)
EN_STOPWORDS = words(
    """
    a an the and or but if so of to in on at by for with from as is are was were be been
    being am i me my mine we our ours you your yours he him his she her hers it its they
    them their theirs this that these those there here what which who whom whose when where
    why how do does did done doing have has had having will would shall should can could may
    might must just very really so too also than then only even still again ever quite
    rather much many more most some any all each every both few other such own same into
    over under about after before while during up down out off once because until though
    although however yet not no never nothing nor got get gets getting go goes went gone
    make made one two three first last lot lots thing things way day time bit us im ive id
    dont didnt doesnt isnt wasnt werent cant couldnt wont wouldnt shouldnt arent havent
    hasnt hadnt ok okay please thank thanks yes
    """
)
_EN_IRREGULAR = {"was": "be", "were": "be", "is": "be", "are": "be", "am": "be", "been": "be"}


def _en_lemma(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word in _EN_IRREGULAR:
        return _EN_IRREGULAR[word]
    if word.endswith("n't"):
        return "not"
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# English has no tagger here: past forms, -ly adverbs and common verbs and
# adjectives are told apart from nouns by their ending or by name, which is enough to keep
# them out of key phrases.
_EN_NOT_NOUNS = words(
    """
    left took came gave went said told asked tried kept felt found put let see saw seen come
    take give want need know think say tell try keep feel find look looks like love hate
    full empty new old big small little good bad great nice late early long short high low
    fast slow hot cold usual whole same different sure able
    """
)


def _en_kind(lemma: str) -> Kind:
    if lemma in _EN_NOT_NOUNS:
        return "adj"
    if len(lemma) > 4 and lemma.endswith("ed"):
        return "verb"
    if len(lemma) > 4 and lemma.endswith("ly"):
        return "adv"
    return "noun"


def _en_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    scope = 0
    for match in _EN_WORD.finditer(text):
        surface = match.group()
        lemma = _en_lemma(surface)
        if not lemma[0].isalnum():
            out.append(Token(surface, lemma, "punct"))
            scope = 0 if lemma in _EN_SCOPE_END else scope
            continue
        if lemma in _EN_SCOPE_END:
            scope = 0
        if lemma == "not" or lemma in _EN_NEGATIONS:
            out.append(Token(surface, "not", "neg"))
            scope = 3
            continue
        kind: Kind = "other" if lemma in EN_STOPWORDS else _en_kind(lemma)
        out.append(Token(surface, lemma, kind, negated=scope > 0))
        scope = max(0, scope - 1)
    return out


# ------------------------------------------------------------------ Japanese

_JA_KIND: dict[str, Kind] = {
    "名詞": "noun",
    "動詞": "verb",
    "形容詞": "adj",
    "形状詞": "adj",
    "副詞": "adv",
    "補助記号": "punct",
    "記号": "punct",
}
# Negation follows what it negates: 良く-ない, あり-ませ-ん (ず), 使え-ず.
_JA_NEGATIONS = frozenset({"ない", "ず", "無い", "ぬ"})


def _ja_tokens(text: str) -> list[Token]:
    morphemes = _sudachi().tokenize(text)
    raw: list[Token] = []
    for m in morphemes:
        pos = m.part_of_speech()
        lemma = m.normalized_form()
        kind = _JA_KIND.get(pos[0], "other")
        if (pos[0] == "助動詞" or pos[0] == "形容詞") and m.dictionary_form() in _JA_NEGATIONS:
            kind = "neg"
        if kind == "noun" and pos[1] in {"数詞", "代名詞"}:
            kind = "other"
        raw.append(Token(m.surface(), lemma, kind))
    return _negate_backwards(raw, reach=4)


# ------------------------------------------------------------------ Korean

_KO_KIND: dict[str, Kind] = {
    "NNG": "noun",
    "NNP": "noun",
    "VV": "verb",
    "VA": "adj",
    "XR": "adj",
    "MAG": "adv",
    "SF": "punct",
    "SP": "punct",
    "SS": "punct",
    "SE": "punct",
    "SO": "punct",
    "SW": "punct",
}
_KO_PRE_NEGATIONS = frozenset({"안", "못"})
_KO_POST_NEGATIONS = frozenset({"않", "없", "못하", "아니"})


def _ko_tokens(text: str) -> list[Token]:
    raw: list[Token] = []
    pending = 0
    for t in _kiwi().tokenize(text):
        tag = t.tag.split("-")[0]
        form = t.form
        kind = _KO_KIND.get(tag, "other")
        if tag == "MAG" and form in _KO_PRE_NEGATIONS:
            raw.append(Token(form, form, "neg"))
            pending = 2
            continue
        if tag in {"VX", "VA", "VCN"} and form in _KO_POST_NEGATIONS:
            kind = "neg"
        negated = pending > 0 and kind in {"verb", "adj", "noun"}
        raw.append(Token(form, form, kind, negated=negated))
        pending = 0 if negated or kind == "punct" else max(0, pending - 1)
    return _negate_backwards(raw, reach=3)


def _negate_backwards(tokens: list[Token], reach: int) -> list[Token]:
    """Mark the content words just before a following negation (head-final languages)."""
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token.kind != "neg" or token.lemma in _KO_PRE_NEGATIONS:
            continue
        for j in range(i - 1, max(-1, i - 1 - reach), -1):
            previous = out[j]
            if previous.kind == "punct" or previous.kind == "neg":
                break
            if previous.kind in {"noun", "verb", "adj", "adv"}:
                out[j] = Token(
                    previous.surface, previous.lemma, previous.kind, not previous.negated
                )
                if previous.lemma not in _EXISTENCE:
                    break
    return out


# "不満は有りません": the negated verb only says that the noun before it is absent.
_EXISTENCE = frozenset({"有る", "在る", "ある", "居る"})


def tokenize(text: str, language: Language) -> list[Token]:
    if language == "ja":
        return _ja_tokens(text)
    if language == "ko":
        return _ko_tokens(text)
    return _en_tokens(text)
