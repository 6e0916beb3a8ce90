"""The ONNX sentence encoder against a plain NumPy forward pass of the same weights."""
from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file
from scipy.special import erf

from components.sentence_encoder import DEFAULT_MODEL_DIR, SentenceEncoder

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "encoder.onnx").exists(),
                                reason="run scripts/setup.sh first")


def numpy_reference(text: str, encoder: SentenceEncoder) -> np.ndarray:
    """BERT encoder + mean pooling, written out: an independent check of the graph."""
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    w = load_file(str(DEFAULT_MODEL_DIR / "model.safetensors"))
    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]

    def norm(x, p):
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * w[p + ".weight"] + w[p + ".bias"]

    def dense(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    ids = encoder.tokenizer.encode(text).ids
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    d = x.shape[1] // heads
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (dense(x, p + f"attention.self.{name}").reshape(n, heads, d).transpose(1, 0, 2)
                   for name in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, -1)
        x = norm(x + dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        inner = dense(x, p + "intermediate.dense")
        x = norm(x + dense(0.5 * inner * (1 + erf(inner / np.sqrt(2))), p + "output.dense"),
                 p + "output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


@pytest.mark.parametrize("text", ["what is kyphoplasty", "", "🙂", "my mom fell & can't walk!! " * 20])
def test_onnx_graph_matches_the_numpy_reference(encoder, text):
    np.testing.assert_allclose(encoder.encode_one(text), numpy_reference(text, encoder), atol=1e-4)


def test_paraphrases_are_closer_than_unrelated_questions(encoder):
    recovery, back_to_normal, cost, weather = encoder.encode([
        "how long is recovery after kyphoplasty", "when will I be back to my normal life after the procedure",
        "how much does kyphoplasty cost", "what is the weather tomorrow"])
    assert recovery @ back_to_normal > recovery @ weather + 0.3
    assert abs(float(np.linalg.norm(cost)) - 1.0) < 1e-5


def test_very_long_input_is_cut_not_refused(encoder):
    assert encoder.encode_one("word " * 5000).shape == (384,)
