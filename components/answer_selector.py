"""Catalogue answers scored by the linear model already trained, no TensorFlow.

Rasa answers a retrieval intent (`utter_recovery`) with the response its
ResponseSelector picked, read from the message's `response_selector` output.
Ours chose inside the predicted category by averaging the ResponseSelector with
the answer-level classifier (components.answer_classifier), which already gives
every answer a probability. The ResponseSelector cost a TensorFlow model: most
of a training run, seconds of start-up, memory, and a TensorFlow call on every
message (docs/design.md, "Where a turn's time goes"). This component writes the
same `response_selector` output from the classifier's answer ranking, so
Rasa's retrieval actions, the tracker's `metadata.utter_action` (the answer
catalogue contract) and components.answer_choice work unchanged.

Rasa warns at training that the pipeline has no `ResponseSelector` for the
response examples: expected, this component is what uses them.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.answer_classifier import ANSWER_RANKING_KEY

RETRIEVAL_INTENTS_FILE = "retrieval_intents.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearAnswerSelector(GraphComponent):
    """ResponseSelector-compatible output from the answer-level classifier."""

    @classmethod
    def required_components(cls) -> List[type]:
        # It reads the classifier's output, so it comes after it in the
        # pipeline; its training needs nothing from it, and Rasa checks
        # required components in the training graph too.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        retrieval_intents: Optional[List[Text]] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.retrieval_intents = sorted(retrieval_intents or [])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearAnswerSelector:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        # The retrieval intents the training data answers; nothing else to learn.
        self.retrieval_intents = sorted(training_data.retrieval_intents)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / RETRIEVAL_INTENTS_FILE).write_text(json.dumps(self.retrieval_intents))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearAnswerSelector:
        try:
            with model_storage.read_from(resource) as directory:
                intents = json.loads((directory / RETRIEVAL_INTENTS_FILE).read_text())
        except ValueError:  # not trained (e.g. no response examples)
            intents = []
        return cls(model_storage, resource, intents)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = [dict(entry) for entry in message.get(ANSWER_RANKING_KEY) or []]
            if not ranking or not self.retrieval_intents:
                continue
            top = ranking[0]
            message.set(
                RESPONSE_SELECTOR_PROPERTY_NAME,
                {
                    RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self.retrieval_intents,
                    RESPONSE_SELECTOR_DEFAULT_INTENT: {
                        RESPONSE_SELECTOR_PREDICTION_KEY: {
                            # The texts come from the domain when the retrieval
                            # action utters `utter_<answer id>`.
                            RESPONSE_SELECTOR_RESPONSES_KEY: [],
                            PREDICTED_CONFIDENCE_KEY: top[PREDICTED_CONFIDENCE_KEY],
                            INTENT_RESPONSE_KEY: top[INTENT_RESPONSE_KEY],
                            RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{top[INTENT_RESPONSE_KEY]}",
                        },
                        RESPONSE_SELECTOR_RANKING_KEY: ranking,
                    },
                },
                add_to_output=True,
            )
        return messages
