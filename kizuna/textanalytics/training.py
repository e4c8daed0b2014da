"""Rebuild the sentiment head from the labelled examples in `data/train/`.

Each language's file holds hand-written feedback sentences and the parts from which more
examples are assembled: aspects of each domain, positive, negative and neutral predicates,
polite openings and closings, emoji, contrastive joins for mixed feedback. Assembly is
seeded, so the examples, their checksum and the trained weights are the same on every run.
`docs/sentiment.md` says where every example comes from."""

import hashlib
import json
import random
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kizuna.textanalytics.encoder import EncoderName
from kizuna.textanalytics.features import featurize
from kizuna.textanalytics.head import CLASSES, DATA, HEADS, Head, scale, softmax
from kizuna.textanalytics.language import LANGUAGES, Language
from kizuna.textanalytics.sentiment import analysed_clauses, decide, is_request
from kizuna.textanalytics.tokens import words

TRAIN = DATA / "train"
PER_CLASS = {"positive": 700, "negative": 700, "neutral": 500, "mixed": 150}
DEV_SHARE = 5  # one hand-written example in five is kept for calibration
WRITTEN_WEIGHT = 10.0  # a hand-written example counts as much as ten assembled ones
DEFAULT_MIXED = 0.55  # the mixed threshold while the offsets are calibrated
LABELS = ("positive", "negative", "neutral", "mixed")
L2 = 3e-3
STEPS = 200
LEARNING_RATE = 0.5
MOMENTUM = 0.9


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    language: Language
    label: str  # positive, negative, neutral or mixed
    source: str  # "written" or "assembled"


def _particle(text: str, pair: str) -> str:
    """Korean particles that depend on the final consonant: 이/가, 은/는, 을/를, 과/와."""
    with_final, without = pair.split("/")
    last = text[-1] if text else ""
    final = 0xAC00 <= ord(last) <= 0xD7A3 and (ord(last) - 0xAC00) % 28 != 0
    return with_final if final else without


def _fill(template: str, aspect: str, language: Language) -> str:
    text = template.replace("{a}", aspect)
    if language == "ko":
        for pair in ("이/가", "은/는", "을/를", "과/와"):
            while f"[{pair}]" in text:
                before = text.split(f"[{pair}]", 1)[0]
                text = text.replace(f"[{pair}]", _particle(before, pair), 1)
    return text


_EN_NOT_INTENSIFIED = words(
    """
    a an the not as far better worse what spot top quick
    """
)


def _intensify(text: str, intensifier: str, language: Language) -> str:
    if not intensifier:
        return text
    if language == "en":
        after = text.partition(" was ")[2].split(" ", 1)[0]
        if not after or after in _EN_NOT_INTENSIFIED:
            return text
        return text.replace(" was ", f" was {intensifier}", 1)
    marker = "が" if language == "ja" else " "
    head, sep, tail = text.partition(marker)
    return f"{head}{sep}{intensifier}{tail}" if sep else text


def _capitalize(text: str, language: Language) -> str:
    return text[:1].upper() + text[1:] if language == "en" else text


def _join(prefix: str, body: str, suffix: str, language: Language) -> str:
    if body[-1:] in {"?", "？", "!", "！"} and suffix[:1] in {".", "。"}:
        suffix = suffix[1:].lstrip()
        suffix = (" " if language == "en" and suffix else "") + suffix
    if language == "en" and prefix:
        body = body[:1].lower() + body[1:]
    text = _capitalize(prefix + body, language)
    if suffix and suffix[0] not in ".!?。！？" and text[-1:] not in ".!?。！？":
        return text + suffix
    return text.rstrip(".。") + suffix if suffix[:1] in {".", "。"} else text + suffix


def _clause(parts: dict[str, Any], label: str, rng: random.Random, language: Language) -> str:
    domain = rng.choice(sorted(parts["aspects"]))
    aspect = rng.choice(parts["aspects"][domain])
    text = _fill(rng.choice(parts[label]), aspect, language)
    if label == "neutral":
        return text
    return _intensify(text, rng.choice(parts["intensifiers"]), language)


def assemble(language: Language) -> list[Example]:
    parts = json.loads((TRAIN / f"{language}.json").read_text("utf-8"))
    rng = random.Random(f"kizuna-sentiment-{language}")  # noqa: S311  (seeded on purpose)
    examples: dict[str, Example] = {}

    def add(text: str, label: str, source: str) -> None:
        examples.setdefault(text, Example(text, language, label, source))

    for line in (TRAIN / f"{language}.tsv").read_text("utf-8").splitlines()[1:]:
        label, _domain, text = line.split("\t")
        add(text, label, "written")
    for label, sentences in parts["sentences"].items():
        for sentence in sentences:
            add(sentence, label, "written")
    for label in ("positive", "negative", "neutral"):
        target = PER_CLASS[label]
        while sum(e.label == label for e in examples.values()) < target:
            if rng.random() < 0.15:
                body = rng.choice(parts["sentences"][label])
                suffix = ""
            else:
                body = _clause(parts, label, rng, language)
                suffix = rng.choice(parts["suffix"][label])
            add(
                _join(rng.choice(parts["prefix"][label]), body, suffix, language),
                label,
                "assembled",
            )
    while sum(e.label == "mixed" for e in examples.values()) < PER_CLASS["mixed"]:
        first, second = rng.sample(["positive", "negative"], 2)
        join = rng.choice(parts["contrast"])
        text = _clause(parts, first, rng, language) + join + _clause(parts, second, rng, language)
        add(_join("", text, rng.choice(parts["suffix"][second]), language), "mixed", "assembled")
    return list(examples.values())


def all_examples() -> list[Example]:
    return [e for language in LANGUAGES for e in assemble(language)]


def checksum(examples: Iterable[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.language}\t{e.label}\t{e.text}\n".encode())
    return digest.hexdigest()


def is_dev(example: Example) -> bool:
    """Calibration uses hand-written examples only: they are closer to real feedback than
    assembled ones."""
    return example.source == "written" and zlib.crc32(example.text.encode()) % DEV_SHARE == 0


def fit(
    features: np.ndarray,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    encoder: EncoderName,
    log: Callable[[str], None],
) -> Head:
    """Weighted softmax regression, full batch, Nesterov momentum: deterministic for given
    data."""
    x = scale(features, encoder).astype(np.float64)
    n, d = x.shape
    w = sample_weights / sample_weights.sum()
    y = np.zeros((n, len(CLASSES)))
    y[np.arange(n), labels] = 1.0
    weights = np.zeros((d, len(CLASSES)))
    bias = np.zeros(len(CLASSES))
    velocity_w = np.zeros_like(weights)
    velocity_b = np.zeros_like(bias)
    for step in range(STEPS):
        look_w = weights + MOMENTUM * velocity_w
        look_b = bias + MOMENTUM * velocity_b
        p = softmax(x @ look_w + look_b)
        error = (p - y) * w[:, None]
        grad_w = x.T @ error + L2 * look_w
        grad_b = error.sum(axis=0)
        velocity_w = MOMENTUM * velocity_w - LEARNING_RATE * grad_w
        velocity_b = MOMENTUM * velocity_b - LEARNING_RATE * grad_b
        weights += velocity_w
        bias += velocity_b
        if step % 100 == 99:
            loss = -np.sum(w * np.log(p[np.arange(n), labels] + 1e-12))
            log(f"  step {step + 1}: loss {loss:.4f}")
    return Head(
        encoder=encoder,
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        language_bias=np.zeros((len(LANGUAGES), len(CLASSES)), dtype=np.float32),
        mixed_threshold=np.full(len(LANGUAGES), 0.6, dtype=np.float32),
    )


def macro_f1(gold: Sequence[str], predicted: Sequence[str], classes: Iterable[str]) -> float:
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


Clauses = list[tuple[np.ndarray, list[bool]]]


def _dev_logits(head: Head, examples: list[Example]) -> tuple[np.ndarray, Clauses]:
    """The examples' logits, and for each its clauses' logits and which are requests."""
    language = examples[0].language
    split = [analysed_clauses(e.text, language) for e in examples]
    flat = [c for parts in split for c in parts if len(parts) > 1]
    texts = [e.text for e in examples] + flat
    features = featurize(texts, [language] * len(texts), head.encoder)
    logits = head.logits(features, [language] * len(texts))
    whole = logits[: len(examples)]
    per_text: Clauses = []
    offset = len(examples)
    for parts in split:
        count = len(parts) if len(parts) > 1 else 0
        per_text.append((logits[offset : offset + count], [is_request(c) for c in parts[:count]]))
        offset += count
    return whole, per_text


def _decide_all(
    whole: np.ndarray, per_text: Clauses, offset: np.ndarray, threshold: float
) -> list[str]:
    p = softmax(whole + offset)
    labels: list[str] = []
    for i, (clause_logits, requests) in enumerate(per_text):
        clause_p = list(softmax(clause_logits + offset)) if len(clause_logits) else []
        labels.append(decide(p[i], clause_p, threshold, requests)[0])
    return labels


def calibrate(head: Head, dev: list[Example]) -> np.ndarray:
    """The language's logit offsets that maximise its dev examples' macro-F1 over the four
    labels (a plain grid: the head itself is already trained)."""
    whole, per_text = _dev_logits(head, dev)
    gold = [e.label for e in dev]
    best = (-1.0, np.zeros(len(CLASSES)))
    # Small offsets only: the dev set is small, and a large offset would fit its noise.
    for neutral in np.arange(-1.0, 1.01, 0.25):
        for positive in np.arange(-0.5, 0.51, 0.25):
            offset = np.array([0.0, neutral, positive])
            predicted = _decide_all(whole, per_text, offset, DEFAULT_MIXED)
            f1 = macro_f1(gold, predicted, LABELS)
            if f1 > best[0]:
                best = (f1, offset)
    return best[1]


def mixed_threshold(
    head: Head, dev: list[Example], offsets: np.ndarray
) -> tuple[float, dict[Language, float]]:
    """One threshold for all languages: each language has only a few mixed dev examples, so
    they are pooled. Returns it and each language's dev macro-F1 with it."""
    by_language = []
    for row, language in enumerate(LANGUAGES):
        examples = [e for e in dev if e.language == language]
        whole, per_text = _dev_logits(head, examples)
        by_language.append((language, [e.label for e in examples], whole, per_text, offsets[row]))
    best: tuple[float, float, dict[Language, float]] = (-1.0, DEFAULT_MIXED, {})
    for threshold in np.arange(0.35, 0.81, 0.05):
        scores = {
            language: macro_f1(gold, _decide_all(whole, per_text, offset, float(threshold)), LABELS)
            for language, gold, whole, per_text, offset in by_language
        }
        mean = sum(scores.values()) / len(scores)
        if mean > best[0] + 1e-9:
            best = (mean, float(threshold), scores)
    return best[1], best[2]


def train(
    log: Callable[[str], None] = lambda _: None,
    *,
    encoder: EncoderName = "use",
    weights_path: Path | None = None,
) -> dict[str, Any]:
    """Assemble the examples, fit the head on all but the calibration examples, calibrate
    each language, save the head (the encoder's in `data/` unless `weights_path` says
    otherwise) with its card beside it, and return the card."""
    examples = all_examples()
    digest = checksum(examples)
    fitting = [e for e in examples if not is_dev(e) and e.label != "mixed"]
    dev = [e for e in examples if is_dev(e)]
    log(f"{len(examples)} examples (checksum {digest[:12]}), {len(fitting)} to fit, {len(dev)} dev")
    features = featurize([e.text for e in fitting], [e.language for e in fitting], encoder)
    labels = np.array([CLASSES.index(e.label) for e in fitting])
    weights = np.array([WRITTEN_WEIGHT if e.source == "written" else 1.0 for e in fitting])
    head = fit(features, labels, weights, encoder, log)
    language_bias = np.zeros((len(LANGUAGES), len(CLASSES)), dtype=np.float32)
    for row, language in enumerate(LANGUAGES):
        language_bias[row] = calibrate(head, [e for e in dev if e.language == language])
    threshold, scores = mixed_threshold(head, dev, language_bias)
    thresholds = np.full(len(LANGUAGES), threshold, dtype=np.float32)
    dev_f1 = {language: round(f1, 4) for language, f1 in scores.items()}
    for row, language in enumerate(LANGUAGES):
        log(f"  {language}: offsets {language_bias[row].tolist()}, F1 {dev_f1[language]:.3f}")
    log(f"  mixed when clauses disagree above {threshold:.2f}")
    head = Head(encoder, head.weights, head.bias, language_bias, thresholds)
    card = {
        "encoder": encoder,
        "classes": list(CLASSES),
        "features": int(features.shape[1]),
        "training_examples": len(examples),
        "training_checksum": digest,
        "per_language": {
            lang: {
                label: sum(e.language == lang and e.label == label for e in examples)
                for label in ("positive", "negative", "neutral", "mixed")
            }
            for lang in LANGUAGES
        },
        "dev_macro_f1_four_labels": dev_f1,
        "l2": L2,
        "steps": STEPS,
    }
    head.save(card, weights_path or HEADS[encoder])
    return card
