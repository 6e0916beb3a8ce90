"""A short reply is the answer to the question just asked, never a goodbye.

"ys", "n", "dunno" and "3wks" are too short for the classifier: trained on
whole questions, it read them as chitchat (goodbye) or as nothing. People on a
phone answer the checklist exactly like that, so a reply of a few words that
is a plain yes, no, not sure or "how long ago" is given the intent that the
checklist (and any yes/no question) reads: affirm, deny, unsure or inform.
So is a statement that opens with a plain yes or no ("yes it hurts a lot and I
can barely walk"), unless it asks something (with a question mark or without:
"...I'm just curious what the cement is made of") or the person asked for a
human, the checklist or to stop.
The words live in bot/answer_words.py, shared with the action server.
Safety still runs after this component.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot import answer_words
from components import message_focus
from components.intent_override import put_first

READINGS = [
    ("unsure", re.compile(rf"^{answer_words.SHORT_UNSURE}$")),
    ("deny", re.compile(rf"^{answer_words.SHORT_NO}$")),
    ("affirm", re.compile(rf"^{answer_words.SHORT_YES}$")),
    ("inform", re.compile(rf"^{answer_words.SHORT_DURATION}$")),
]
_NOT_WORD = re.compile(r"[^\w' ]+")


def normalise(text: Text) -> Text:
    return " ".join(_NOT_WORD.sub(" ", (text or "").lower().replace("’", "'")).split())


# "yes it hurts a lot and I can barely walk", "no, none of those": a statement
# that opens with a plain yes or no answers the question just asked.
LEADING_ANSWER = [
    ("affirm", re.compile(r"^(yes|yeah|yep|yup|ya|yea|ys|yse)\b")),
    ("deny", re.compile(r"^(no|nope|nah)\b(?! (idea|clue)\b)")),
]
# Intents a leading yes/no never overrides: the person asked for something.
KEPT_INTENTS = {"handoff", "emergency", "crisis", "screening", "stop", "ask_why", "affirm", "deny", "unsure"}


def read_leading_answer(text: Text, current_intent: Optional[Text]) -> Optional[Text]:
    """affirm/deny for a statement (no question) that opens with yes or no."""
    # a question, with a question mark or without ("no swelling, I'm just
    # curious what the cement is made of"), is not an answer
    if current_intent in KEPT_INTENTS or message_focus.asks_indirectly(text):
        return None
    words = normalise(text)
    for intent, pattern in LEADING_ANSWER:
        if pattern.match(words):
            return intent
    return None


def read_short_reply(text: Text, max_words: int = 4) -> Optional[Text]:
    """The intent a short yes / no / not sure / "3 weeks ago" reply means, or None."""
    words = normalise(text)
    if not words or len(words.split()) > max_words:
        return None
    for intent, pattern in READINGS:
        if pattern.match(words):
            return intent
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class ShortReplyReader(GraphComponent, IntentClassifier):
    """Sets affirm / deny / unsure / inform for a short plain answer."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"max_words": 4}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.max_words = config.get("max_words", 4)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ShortReplyReader:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            intent = read_short_reply(text, self.max_words) or read_leading_answer(text, current)
            if intent is None:
                continue
            put_first(message, intent)
        return messages
