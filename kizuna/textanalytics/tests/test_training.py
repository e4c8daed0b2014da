"""The shipped head: it loads offline from the package files, its training data is kept
apart from the evaluation set, and retraining reproduces it."""

import io
import json
import socket

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from kizuna.textanalytics import head as head_module
from kizuna.textanalytics.analysis import TextIn
from kizuna.textanalytics.evaluation import evaluation_set
from kizuna.textanalytics.head import HEAD_WEIGHTS, head_card, load_head
from kizuna.textanalytics.language import LANGUAGES
from kizuna.textanalytics.sentiment import DefaultAnalyzer
from kizuna.textanalytics.training import all_examples, checksum


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def test_no_evaluation_text_is_in_the_training_data():
    training = {_normalised(e.text) for e in all_examples()}
    evaluation = [_normalised(item.text) for item in evaluation_set()]
    assert not training & set(evaluation)
    assert len(evaluation) == len(set(evaluation)), "evaluation texts are unique"


def test_the_evaluation_set_has_300_texts_of_every_kind_per_language():
    items = evaluation_set()
    for language in LANGUAGES:
        mine = [i for i in items if i.language == language]
        assert len(mine) >= 300
        assert {i.label for i in mine} == {"positive", "negative", "neutral", "mixed"}
        assert {i.domain for i in mine} == {
            "retail",
            "food",
            "cosmetics",
            "travel",
            "apps",
            "support",
        }


def test_training_covers_every_language_and_label():
    examples = all_examples()
    for language in LANGUAGES:
        labels = {e.label for e in examples if e.language == language}
        assert labels == {"positive", "negative", "neutral", "mixed"}


def test_the_committed_head_matches_its_training_data():
    assert head_card()["training_checksum"] == checksum(all_examples())
    assert HEAD_WEIGHTS.stat().st_size < 1_000_000


def test_the_head_loads_and_analyses_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    load_head.cache_clear()
    head = load_head()
    assert head.weights.shape[1] == 3
    results = DefaultAnalyzer().analyze([TextIn(id="1", text="とても良かったです")])
    assert results[0].sentiment == "positive"


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="uses no database: runs once, in the SQLite pass"
)
def test_retraining_reproduces_the_committed_head(tmp_path):
    output = io.StringIO()
    call_command("train_sentiment", "--output", str(tmp_path / "head.npz"), stdout=output)
    assert head_card()["training_checksum"] in output.getvalue()
    card = json.loads((tmp_path / "head.json").read_text("utf-8"))
    assert card == head_card()
    retrained = head_module.load_head.__wrapped__(tmp_path / "head.npz")
    committed = load_head()
    np.testing.assert_allclose(retrained.weights, committed.weights, atol=1e-4)
    np.testing.assert_allclose(retrained.bias, committed.bias, atol=1e-4)
    np.testing.assert_array_equal(retrained.language_bias, committed.language_bias)
    np.testing.assert_array_equal(retrained.mixed_threshold, committed.mixed_threshold)
