"""Makes sure an emergency or a crisis is recognised before anything else.

Runs last in the NLU pipeline. A message is an emergency when the spaCy
EntityRuler found a warning sign (`warning_sign`) or crisis language (`crisis`),
whatever the intent classifier thought the message was mostly about ("what's the
recovery time, also my legs went numb"), or when the classifier gives `emergency`
and `crisis` together a probability of at least `emergency_probability`, even
when another intent ranks first. A missed emergency costs far more than an
unneeded "call 911", so the bar is deliberately low (0.2: on this project's data
it missed no held-out emergency, and turned 2 of 421 held-out messages into
unneeded emergency replies; at 0.3 it missed 3).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

EMERGENCY_INTENT = "emergency"
CRISIS_INTENT = "crisis"
# entity label -> intent it forces; crisis first, so a message with both gets the
# reply that also names the crisis line.
ENTITY_TO_INTENT = {"crisis": CRISIS_INTENT, "warning_sign": EMERGENCY_INTENT}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class SafetyGuard(GraphComponent, IntentClassifier):
    """Overrides the intent with `emergency` or `crisis` when safety requires it."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"emergency_probability": 0.2}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.min_probability: float = config["emergency_probability"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            safety_intent = self.safety_intent(message)
            if safety_intent is None:
                continue
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if current != safety_intent:
                logger.debug("Safety override: '%s' -> '%s'.", current, safety_intent)
            forced = {INTENT_NAME_KEY: safety_intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.data[INTENT] = forced
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != safety_intent
            ]
            message.data[INTENT_RANKING_KEY] = [dict(forced)] + ranking
        return messages

    def safety_intent(self, message: Message) -> Optional[Text]:
        labels = {entity.get(ENTITY_ATTRIBUTE_TYPE) for entity in message.get(ENTITIES) or []}
        for label, intent in ENTITY_TO_INTENT.items():
            if label in labels:
                return intent
        return self._classifier_safety_intent(message)

    def _classifier_safety_intent(self, message: Message) -> Optional[Text]:
        """The likelier safety intent, if both together are likely enough."""
        probabilities = {
            entry[INTENT_NAME_KEY]: float(entry.get(PREDICTED_CONFIDENCE_KEY, 0.0))
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) in (EMERGENCY_INTENT, CRISIS_INTENT)
        }
        if sum(probabilities.values()) >= self.min_probability:
            return max(probabilities, key=probabilities.get)
        return None
