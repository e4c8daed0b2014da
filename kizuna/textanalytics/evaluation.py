"""The evaluation set and its figures: binary accuracy, 3-class macro-F1 and the confusion
matrix. The set (`data/eval/`) is written apart from the training examples and never read
by training; a test checks that no text appears in both."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kizuna.textanalytics.language import LANGUAGES, Language

EVAL = Path(__file__).resolve().parent / "data" / "eval"
LABELS = ("positive", "negative", "neutral", "mixed")


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    language: Language
    label: str
    domain: str


def evaluation_set() -> list[Labelled]:
    items = []
    for language in LANGUAGES:
        lines = (EVAL / f"{language}.tsv").read_text("utf-8").splitlines()[1:]
        for line in lines:
            label, domain, text = line.split("\t")
            items.append(Labelled(text, language, label, domain))
    return items


def report(gold: list[str], answers: list[tuple[str, float]]) -> dict[str, Any]:
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, (answered, _score) in zip(gold, answers, strict=True):
        confusion[g][answered] += 1
    polar = [
        (g, s) for g, (_a, s) in zip(gold, answers, strict=True) if g in {"positive", "negative"}
    ]
    binary = sum((s > 0) if g == "positive" else (s < 0) for g, s in polar) / max(1, len(polar))
    f1s = []
    for c in ("positive", "negative", "neutral"):
        tp = confusion[c][c]
        fp = sum(confusion[g][c] for g in ("positive", "negative", "neutral") if g != c)
        fn = sum(confusion[c][a] for a in LABELS if a != c)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    mixed_total = sum(confusion["mixed"].values())
    return {
        "binary_accuracy": binary,
        "macro_f1": sum(f1s) / 3,
        "mixed_recall": confusion["mixed"]["mixed"] / mixed_total if mixed_total else 0.0,
        "confusion": confusion,
    }
