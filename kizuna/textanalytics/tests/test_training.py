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
from kizuna.textanalytics.encoder import get_encoder
from kizuna.textanalytics.evaluation import evaluation_set
from kizuna.textanalytics.head import HEADS, head_card, load_head
from kizuna.textanalytics.language import LANGUAGES
from kizuna.textanalytics.sentiment import AccurateAnalyzer, FastAnalyzer
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


@pytest.mark.parametrize("encoder", ["use", "e5"])
def test_the_committed_heads_match_their_training_data(encoder):
    card = head_card(HEADS[encoder])
    assert card["encoder"] == encoder
    assert card["training_checksum"] == checksum(all_examples())
    assert HEADS[encoder].stat().st_size < 1_000_000
    assert load_head(HEADS[encoder]).encoder == encoder


def test_the_encoders_are_deterministic():
    # With the training data's checksum, this makes a retrained e5 head the committed one;
    # the test below retrains the fast head end to end (the e5 one takes minutes).
    text = ["配送が早くて助かりました", "The parcel was late."]
    for encoder in ("use", "e5"):
        np.testing.assert_array_equal(
            get_encoder(encoder).encode(text), get_encoder(encoder).encode(text)
        )


def test_the_head_loads_and_analyses_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    load_head.cache_clear()
    for analyzer in (AccurateAnalyzer(), FastAnalyzer()):
        results = analyzer.analyze([TextIn(id="1", text="とても良かったです")])
        assert results[0].sentiment == "positive"


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="uses no database: runs once, in the SQLite pass"
)
def test_retraining_reproduces_the_committed_head(tmp_path):
    output = io.StringIO()
    call_command(
        "train_sentiment", "--encoder", "use", "--output", str(tmp_path / "head.npz"), stdout=output
    )
    assert head_card()["training_checksum"] in output.getvalue()
    card = json.loads((tmp_path / "head.json").read_text("utf-8"))
    assert card == head_card(HEADS["use"])
    retrained = head_module.load_head.__wrapped__(tmp_path / "head.npz")
    committed = load_head(HEADS["use"])
    np.testing.assert_allclose(retrained.weights, committed.weights, atol=1e-4)
    np.testing.assert_allclose(retrained.bias, committed.bias, atol=1e-4)
    np.testing.assert_array_equal(retrained.language_bias, committed.language_bias)
    np.testing.assert_array_equal(retrained.mixed_threshold, committed.mixed_threshold)
