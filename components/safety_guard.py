"""The emergency and crisis detector: runs before any answer is chosen, and wins.

A false "call 911" frightens a frail patient and teaches them to ignore it, and
a missed one can cost a life, so the detector has three pieces of evidence,
each measured on the blind development half (docs/design.md has the figures):

1. **Rules, read in context.** The spaCy EntityRuler marks `warning_sign` and
   `crisis` phrases (components/entity_patterns.yml). A warning sign counts only
   when it is reported now: not negated ("no fever, no pus"), not history
   ("tingling for years from old sciatica"), not a question about a risk ("what
   if I lose bladder control?"), not a figure of speech ("dead on my feet, not
   literally"). Crisis language counts unless negated.
2. **A detector of its own**: a logistic regression on the sentence embedding,
   trained on the emergency and crisis examples against every other example,
   the ordinary post-procedure worries (soreness, a pink incision, low mood)
   among them as hard negatives. It scores every sentence of a long message,
   so one alarming sentence in a story is not diluted by the rest.
3. **The intent classifier's** P(emergency) + P(crisis), at a higher bar when
   the safety words it saw were read in context as not reported now.

Low mood without crisis words ("feeling blue and weepy") raises the bars of
2 and 3: the issue asks for a kind reply that points to the care team, not
911; crisis language said sideways is the rules' job (entity_patterns.yml).

Any one of them forces `emergency` or `crisis` (crisis when its rule fired, or
when the classifier finds it likelier), even in the middle of the checklist.
When none does but the intent classifier ranked a safety intent first, that
intent is replaced by the next one: the detector, not a weak vote, decides.
What it saw is kept on the message (`safety`), for the staff console.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import message_focus
from components.commands import RULE_READ_INTENTS
from components.intent_override import put_first
from components.sentence_encoder import DEFAULT_MODEL_DIR, shared_encoder
from components.sentence_featurizer import unit_embedding

logger = logging.getLogger(__name__)

EMERGENCY_INTENT = "emergency"
CRISIS_INTENT = "crisis"
SAFETY_INTENTS = (EMERGENCY_INTENT, CRISIS_INTENT)
SAFETY_KEY = "safety"
# The classifier ranked a safety intent first and the detector did not agree.
DEMOTED = "demoted"
WEIGHTS_FILE = "safety_detector.npz"


@lru_cache(maxsize=1)
def _low_mood() -> "re.Pattern[str]":
    """Words for feeling low, one list shared with the kinder not_covered
    wording (components/answer_scope.yml)."""
    from components.answer_scope import ScopeRules

    return ScopeRules().low_mood


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class SafetyGuard(GraphComponent, IntentClassifier):
    """Forces `emergency` or `crisis` when safety requires it, and only then."""

    @classmethod
    def required_components(cls) -> List[type]:
        # Trained on the sentence embedding; placed after the intent classifiers
        # in config.yml (Rasa's training graph runs no classifier before it).
        return [DenseFeaturizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # P(emergency or crisis) from the detector's own classifier, any sentence
            "detector_threshold": 0.9,
            # P(emergency) + P(crisis) from the intent classifier
            "intent_threshold": 0.4,
            # ...when the safety words it saw were read in context as not reported
            # now ("no fever, no pus"): a bag of words cannot read negation
            "discounted_intent_threshold": 0.9,
            # the detector's bar for low mood without crisis words ("feeling
            # blue and weepy": a kind reply that points to the care team, not
            # 911) and for a message that says nothing alarming is happening
            # ("no fever, legs are fine")
            "discounted_detector_threshold": 0.97,
            "C": 1.0,
            "model_dir": str(DEFAULT_MODEL_DIR),
        }

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, weights: Optional[np.ndarray] = None,
                 bias: float = 0.0) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.weights = weights
        self.bias = bias

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafetyGuard:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SafetyGuard:
        try:
            with model_storage.read_from(resource) as folder:
                stored = np.load(Path(folder) / WEIGHTS_FILE)
                return cls(config, model_storage, resource, stored["weights"], float(stored["bias"]))
        except (ValueError, FileNotFoundError, OSError):
            logger.warning("Safety detector weights missing: rules and intent scores only.")
            return cls(config, model_storage, resource)

    # --- training -----------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for example in training_data.intent_examples:
            vector = unit_embedding(example)
            if vector is None or not example.get(INTENT) or example.get(INTENT) in RULE_READ_INTENTS:
                continue
            rows.append(vector)
            labels.append(int(example.get(INTENT) in SAFETY_INTENTS))
        if sum(labels) == 0:
            return self._resource
        model = LogisticRegression(C=self.config["C"], class_weight="balanced", max_iter=2000)
        model.fit(np.stack(rows), np.asarray(labels))
        self.weights = model.coef_[0].astype(np.float32)
        self.bias = float(model.intercept_[0])
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(Path(folder) / WEIGHTS_FILE, weights=self.weights, bias=np.float32(self.bias))
        return self._resource

    # --- inference ----------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(TEXT) is None:
                continue
            verdict, evidence = self.assess(message)
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            demoted = verdict is None and current in SAFETY_INTENTS
            if demoted:
                evidence[DEMOTED] = True  # components/answer_scope.py reads it
            message.set(SAFETY_KEY, evidence, add_to_output=True)
            if verdict is not None:
                self._force(message, verdict)
            elif demoted:
                self._demote(message)
        return messages

    def detector_probability(self, message: Message) -> float:
        """Highest P(safety) over the sentences of a message of several sentences.

        The intent classifier already scores the whole message; what it misses
        is one alarming sentence diluted by a long story around it. A sentence
        is read in the context the rules read a warning sign in: one told as
        history ("Six weeks ago I slipped on ice"), as a question about a risk
        or as a figure of speech reports nothing happening now."""
        parts = message_focus.sentences(message.get(TEXT) or "")
        if self.weights is None or len(parts) < 2:
            return 0.0
        parts = [part for part in parts if message_focus.not_reported_now(part) is None]
        if not parts:
            return 0.0
        encoder = shared_encoder(self.config["model_dir"])
        scores = np.stack([encoder.encode_one(part) for part in parts]) @ self.weights + self.bias
        return float(1.0 / (1.0 + np.exp(-scores.max())))

    def assess(self, message: Message) -> tuple[Optional[Text], Dict[Text, Any]]:
        text = message.get(TEXT) or ""
        reported, discounted = [], []
        for entity in message.get(ENTITIES) or []:
            label = entity.get(ENTITY_ATTRIBUTE_TYPE)
            if label not in ("warning_sign", "crisis"):
                continue
            start = int(entity.get(ENTITY_ATTRIBUTE_START, 0))
            sentence = message_focus.sentence_at(text, start)
            phrase = entity.get(ENTITY_ATTRIBUTE_VALUE) or ""
            if message_focus.is_negated(text, start) or message_focus.is_negated_within(phrase):
                reason = "negated"
            elif label == "warning_sign":
                reason = message_focus.not_reported_now(sentence)
            else:
                reason = None
            if reason is None:
                reported.append(label)
                continue
            discounted.append({"entity": label, "reason": reason})

        probabilities = {
            entry[INTENT_NAME_KEY]: float(entry.get(PREDICTED_CONFIDENCE_KEY, 0.0))
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) in SAFETY_INTENTS
        }
        intent_probability = sum(probabilities.values())
        detector = self.detector_probability(message)
        evidence = {
            "rules": sorted(set(reported)),
            "discounted": discounted,
            "detector": round(detector, 4),
            "intent": round(intent_probability, 4),
        }
        if "crisis" in reported:
            return CRISIS_INTENT, evidence
        if "warning_sign" in reported:
            return EMERGENCY_INTENT, evidence
        low_mood = _low_mood().search(text)
        if low_mood:
            discounted.append({"entity": "low_mood", "reason": "low mood without crisis words"})
        intent_threshold = self.config["discounted_intent_threshold" if discounted else "intent_threshold"]
        reassured = message_focus.is_reassured(text)
        if reassured:
            evidence["reassured"] = True
        detector_threshold = self.config[
            "discounted_detector_threshold" if low_mood or reassured else "detector_threshold"]
        if detector >= detector_threshold or intent_probability >= intent_threshold:
            likelier = max(probabilities, key=probabilities.get) if probabilities else EMERGENCY_INTENT
            return likelier, evidence
        return None, evidence

    @staticmethod
    def _force(message: Message, intent: Text) -> None:
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if current != intent:
            logger.debug("Safety override: '%s' -> '%s'.", current, intent)
        put_first(message, intent)

    @staticmethod
    def _demote(message: Message) -> None:
        """The classifier's safety intent did not convince the detector: next best intent."""
        ranking = [e for e in message.get(INTENT_RANKING_KEY) or []
                   if e.get(INTENT_NAME_KEY) not in SAFETY_INTENTS]
        replacement = dict(ranking[0]) if ranking else {
            INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 0.0}
        logger.debug("Safety intent not confirmed: '%s' instead.", replacement[INTENT_NAME_KEY])
        message.data[INTENT] = replacement
        message.data[INTENT_RANKING_KEY] = ranking or [replacement]
