"""Intent classifier that learns catalogue answers, and reports their categories.

Rasa trains intent classifiers on the retrieval intent (the category, e.g.
`eligibility`), which lumps five different questions into one class. Learning
the answer ids (`eligibility/mri`, ...) and adding their probabilities up per
category classifies categories better on held-out data (94% vs 91% here): the
finer classes are each more coherent. The answer-level probabilities are kept
on the message (`answer_ranking`) for components.answer_choice.

The trained model is kept as plain arrays (`np.savez`, read without pickle),
not as Rasa's skops file: loading skops imported some 400 modules (pytest among
them) and cost every Rasa process 23 MiB.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix

from components.commands import RULE_READ_INTENTS

ANSWER_RANKING_KEY = "answer_ranking"
WEIGHTS_FILE = "answer_classifier.npz"
# Part of the training fingerprint: a model cached in another format is retrained.
PERSISTED_FORMAT = "npz-1"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class AnswerLevelLogisticRegression(LogisticRegressionClassifier):
    """Rasa's logistic regression, trained on answer ids instead of categories."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: Dict[Text, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.C = self.config["C"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return PERSISTED_FORMAT

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / WEIGHTS_FILE, coef=self.clf.coef_, intercept=self.clf.intercept_,
                     classes=np.asarray(self.clf.classes_, dtype=str))

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "AnswerLevelLogisticRegression":
        try:
            with model_storage.read_from(resource) as model_dir:
                if not (model_dir / WEIGHTS_FILE).exists():  # a model trained before: Rasa's skops file
                    return super().load(config, model_storage, resource, execution_context, **kwargs)
                stored = np.load(model_dir / WEIGHTS_FILE, allow_pickle=False)
                component = cls(config, execution_context.node_name, model_storage, resource)
                component.clf.coef_ = stored["coef"]
                component.clf.intercept_ = stored["intercept"]
                component.clf.classes_ = stored["classes"]
                component.clf.n_features_in_ = stored["coef"].shape[1]
                return component
        except ValueError:  # nothing was trained (no examples): as Rasa does
            return cls.create(config, model_storage, resource, execution_context)

    def _create_training_matrix(self, training_data: TrainingData) -> Tuple[csr_matrix, List[str]]:
        examples = [e for e in training_data.intent_examples
                    if e.get(INTENT) and e.get(TEXT) and e.get(INTENT) not in RULE_READ_INTENTS]
        labels = [e.get(INTENT_RESPONSE_KEY) or e.get(INTENT) for e in examples]
        return self._create_X(examples), labels

    def process(self, messages: List[Message]) -> List[Message]:
        if not messages:
            return messages
        probabilities = self.clf.predict_proba(self._create_X(messages))
        for message, row in zip(messages, probabilities):
            by_intent: Dict[str, float] = defaultdict(float)
            answers = []
            for label, probability in zip(self.clf.classes_, row):
                by_intent[label.split("/", 1)[0]] += float(probability)
                if "/" in label:
                    answers.append({INTENT_RESPONSE_KEY: label, PREDICTED_CONFIDENCE_KEY: float(probability)})
            ranking = sorted(
                ({INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: p} for name, p in by_intent.items()),
                key=lambda entry: -entry[PREDICTED_CONFIDENCE_KEY],
            )
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:10], add_to_output=True)
            message.set(
                ANSWER_RANKING_KEY,
                sorted(answers, key=lambda entry: -entry[PREDICTED_CONFIDENCE_KEY])[:10],
                add_to_output=True,
            )
        return messages
