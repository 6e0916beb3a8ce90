"""AnswerLevelLogisticRegression: answer ids learnt, categories reported, kept as arrays."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.answer_classifier import WEIGHTS_FILE, AnswerLevelLogisticRegression

EXAMPLES = [
    ("how long is recovery", "recovery", "recovery/timeline"),
    ("when can I go home after it", "recovery", "recovery/timeline"),
    ("what is kyphoplasty", "about", "about/what_is"),
    ("what does kyphoplasty mean", "about", "about/what_is"),
    ("is the balloon safe", "risks", "risks/general"),
    ("what can go wrong", "risks", "risks/general"),
    ("hello there", "greet", None),
    ("hi", "greet", None),
]


def featurised(storage, context, messages):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage,
                                               Resource("words"), context)
    data = TrainingData(training_examples=messages)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    return tokenizer, featurizer, data


def test_a_loaded_classifier_ranks_as_the_trained_one_without_skops(tmp_path: Path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    messages = [Message(data={"text": text, "intent": intent, **({"intent_response_key": key} if key else {})})
                for text, intent, key in EXAMPLES]
    tokenizer, featurizer, data = featurised(storage, context, messages)
    resource = Resource("answers")
    trained = AnswerLevelLogisticRegression.create({}, storage, resource, context)
    trained.train(data)
    assert (tmp_path / "answers" / WEIGHTS_FILE).exists()
    assert not list((tmp_path / "answers").glob("*.skops"))

    sys.modules.pop("skops.io", None)
    loaded = AnswerLevelLogisticRegression.load({}, storage, resource, context)
    assert "skops.io" not in sys.modules  # the point: no skops on the way in

    for text in ("how long until I recover", "what is it", "hi there", "is it risky"):
        first, second = (Message(data={"text": text}) for _ in range(2))
        for message in (first, second):
            tokenizer.process([message])
            featurizer.process([message])
        trained.process([first])
        loaded.process([second])
        assert first.get("intent") == second.get("intent")
        assert first.get("answer_ranking") == second.get("answer_ranking")
    assert np.array_equal(loaded.clf.classes_, trained.clf.classes_)
    assert second.get("intent")["name"] in {"recovery", "about", "greet", "risks"}


def test_the_stored_format_is_part_of_the_training_fingerprint():
    assert AnswerLevelLogisticRegression.fingerprint_addon({}) is not None
