"""Turns a weak ResponseSelector match into `nlu_fallback`.

Rasa's FallbackClassifier only looks at the intent classifier's confidence. For a
retrieval intent (a catalogue category such as `recovery`) the answer itself is
picked by the ResponseSelector, and a confident category with a weak answer match
would still utter a possibly wrong catalogue answer. This component:

1. keeps the selector's choice inside the predicted category (one selector is
   trained over all categories, which is cheaper than one per category, so its top
   answer can belong to another category than the intent), and
2. predicts `nlu_fallback` when the best answer of that category is below
   `threshold`, so the assistant says it is not sure instead of guessing.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

THRESHOLD_KEY = "threshold"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class RetrievalConfidenceFallback(GraphComponent, IntentClassifier):
    """Falls back when the catalogue answer match is weak."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier, ResponseSelector]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {THRESHOLD_KEY: 0.3}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.threshold: float = config[THRESHOLD_KEY]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RetrievalConfidenceFallback:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        category = intent.get(INTENT_NAME_KEY)
        selectors = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        selected = selectors.get(category) or selectors.get(
            RESPONSE_SELECTOR_DEFAULT_INTENT
        )
        if category is None or selected is None:
            return
        if category not in selectors.get("all_retrieval_intents", []):
            return

        best = _best_in_category(selected.get(RESPONSE_SELECTOR_RANKING_KEY, []), category)
        if best is None or best[PREDICTED_CONFIDENCE_KEY] < self.threshold:
            confidence = best[PREDICTED_CONFIDENCE_KEY] if best else 0.0
            logger.debug(
                "Weak answer match %.2f for category '%s': predicting fallback.",
                confidence,
                category,
            )
            fallback = {
                INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: self.threshold,
            }
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(fallback))
            return

        prediction = selected[RESPONSE_SELECTOR_PREDICTION_KEY]
        if prediction.get(INTENT_RESPONSE_KEY) != best[INTENT_RESPONSE_KEY]:
            answer_id = best[INTENT_RESPONSE_KEY]
            prediction[INTENT_RESPONSE_KEY] = answer_id
            prediction[PREDICTED_CONFIDENCE_KEY] = best[PREDICTED_CONFIDENCE_KEY]
            prediction[RESPONSE_SELECTOR_UTTER_ACTION_KEY] = f"utter_{answer_id}"
            # The texts were those of the other category's answer; the domain
            # supplies the right ones when the action utters `utter_<answer id>`.
            prediction[RESPONSE_SELECTOR_RESPONSES_KEY] = []


def _best_in_category(
    ranking: List[Dict[Text, Any]], category: Text
) -> Optional[Dict[Text, Any]]:
    prefix = f"{category}/"
    in_category = [
        entry for entry in ranking if str(entry.get(INTENT_RESPONSE_KEY, "")).startswith(prefix)
    ]
    return max(in_category, key=lambda e: e[PREDICTED_CONFIDENCE_KEY], default=None)
