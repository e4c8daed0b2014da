"""The sentiment head: a linear softmax layer over the features (negative, neutral,
positive), with a per-language bias that calibrates it and a per-language threshold above
which a text whose clauses disagree is called mixed. Trained by `manage.py train_sentiment`
and committed in `data/head.npz` beside its description, `data/head.json` (and
`data/head_e5.npz` for the e5 encoder)."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from kizuna.textanalytics.encoder import EncoderName, get_encoder
from kizuna.textanalytics.language import LANGUAGES, Language

DATA = Path(__file__).resolve().parent / "data"
HEAD_WEIGHTS = DATA / "head.npz"
HEAD_CARD = DATA / "head.json"
# The head each encoder's analyzer ships with.
HEADS: dict[EncoderName, Path] = {"use": HEAD_WEIGHTS, "e5": DATA / "head_e5.npz"}
CLASSES = ("negative", "neutral", "positive")
EMBEDDING_SCALE = 8.0


@dataclass(frozen=True)
class Head:
    encoder: EncoderName
    weights: np.ndarray  # (features, 3)
    bias: np.ndarray  # (3,)
    language_bias: np.ndarray  # (languages, 3), added to the logits: the calibration
    mixed_threshold: np.ndarray  # (languages,)

    def logits(self, features: np.ndarray, languages: list[Language]) -> np.ndarray:
        rows = np.array([LANGUAGES.index(lang) for lang in languages], dtype=np.int64)
        return scale(features, self.encoder) @ self.weights + self.bias + self.language_bias[rows]

    def probabilities(self, features: np.ndarray, languages: list[Language]) -> np.ndarray:
        return softmax(self.logits(features, languages))

    def save(self, card: dict[str, Any], weights_path: Path = HEAD_WEIGHTS) -> None:
        """The weights in `weights_path` (.npz) and the card beside it (.json)."""
        np.savez_compressed(
            weights_path,
            encoder=np.array(self.encoder),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            language_bias=self.language_bias.astype(np.float32),
            mixed_threshold=self.mixed_threshold.astype(np.float32),
        )
        card_path = weights_path.with_suffix(".json")
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", "utf-8")


def scale(features: np.ndarray, encoder: EncoderName) -> np.ndarray:
    """The sentence vector's components are small (unit length over hundreds of
    dimensions): bring them to the range of the other features."""
    scaled = features.astype(np.float32, copy=True)
    scaled[:, : get_encoder(encoder).dimensions] *= EMBEDDING_SCALE
    return scaled


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


@cache
def load_head(weights_path: Path = HEAD_WEIGHTS) -> Head:
    with np.load(weights_path) as data:
        return Head(
            encoder=str(data["encoder"]),  # type: ignore[arg-type]
            weights=data["weights"],
            bias=data["bias"],
            language_bias=data["language_bias"],
            mixed_threshold=data["mixed_threshold"],
        )


def head_card(weights_path: Path = HEAD_WEIGHTS) -> dict[str, Any]:
    return dict(json.loads(weights_path.with_suffix(".json").read_text("utf-8")))
