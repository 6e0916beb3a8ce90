"""Chooses the catalogue answer, or falls back when the match is weak.

Rasa's FallbackClassifier only looks at the intent (category) confidence, and
the ResponseSelector's answer could then still be a weak or wrong match. For a
catalogue category this component:

1. chooses the answer inside the predicted category (the selector ranks all
   answers, so its top one can belong to another category), averaging the
   selector's (components.answer_selector, or Rasa's ResponseSelector) and the
   answer-level classifier's probabilities, each normalised within the category;
2. predicts `nlu_fallback` when P(category) x P(answer | category) is below
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
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

from components.answer_classifier import ANSWER_RANKING_KEY

logger = logging.getLogger(__name__)

THRESHOLD_KEY = "threshold"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class CatalogueAnswerChooser(GraphComponent, IntentClassifier):
    """Picks the answer within the category; falls back on a weak match."""

    @classmethod
    def required_components(cls) -> List[type]:
        # a `response_selector` output: components.answer_selector or Rasa's own
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {THRESHOLD_KEY: 0.2}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.threshold: float = config[THRESHOLD_KEY]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogueAnswerChooser:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        category = intent.get(INTENT_NAME_KEY)
        selectors = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        if category not in selectors.get(RESPONSE_SELECTOR_RETRIEVAL_INTENTS, []):
            return
        selected = selectors.get(category) or selectors.get(RESPONSE_SELECTOR_DEFAULT_INTENT)
        if selected is None:
            return

        scores = _combined_in_category(
            selected.get(RESPONSE_SELECTOR_RANKING_KEY, []),
            message.get(ANSWER_RANKING_KEY) or [],
            category,
        )
        best = max(scores, key=scores.get) if scores else None
        joint = intent.get(PREDICTED_CONFIDENCE_KEY, 0.0) * (scores[best] if best else 0.0)
        if best is None or joint < self.threshold:
            logger.debug("Weak answer match %.2f in '%s': predicting fallback.", joint, category)
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: self.threshold}
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(fallback))
            return

        prediction = selected[RESPONSE_SELECTOR_PREDICTION_KEY]
        if prediction.get(INTENT_RESPONSE_KEY) != best:
            # The texts were the other answer's; the domain supplies the right
            # ones when the retrieval action utters `utter_<answer id>`.
            prediction[RESPONSE_SELECTOR_RESPONSES_KEY] = []
        prediction[INTENT_RESPONSE_KEY] = best
        prediction[PREDICTED_CONFIDENCE_KEY] = joint
        prediction[RESPONSE_SELECTOR_UTTER_ACTION_KEY] = f"utter_{best}"


def _in_category(ranking: List[Dict[Text, Any]], category: Text) -> Dict[Text, float]:
    """Confidences of the category's answers, normalised to sum to 1."""
    prefix = f"{category}/"
    scores = {
        str(e[INTENT_RESPONSE_KEY]): float(e[PREDICTED_CONFIDENCE_KEY])
        for e in ranking
        if str(e.get(INTENT_RESPONSE_KEY, "")).startswith(prefix)
    }
    total = sum(scores.values())
    return {k: v / total for k, v in scores.items()} if total > 0 else {}


def _combined_in_category(
    selector_ranking: List[Dict[Text, Any]],
    classifier_ranking: List[Dict[Text, Any]],
    category: Text,
) -> Dict[Text, float]:
    sources = [s for s in (_in_category(selector_ranking, category),
                           _in_category(classifier_ranking, category)) if s]
    answers = {a for source in sources for a in source}
    return {a: sum(source.get(a, 0.0) for source in sources) / len(sources) for a in answers}


def best_answer(scores: Dict[Text, float]) -> Optional[Text]:
    return max(scores, key=scores.get) if scores else None
