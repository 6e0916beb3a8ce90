"""One way to put an intent first: the safety guard, the short-reply reader and
the answer-scope check each replace the classifier's intent by a decision of
their own, and the ranking must then start with that decision, once."""
from __future__ import annotations

from typing import Text

from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message


def put_first(message: Message, intent: Text, confidence: float = 1.0) -> None:
    """`intent` becomes the message's intent and heads its ranking, listed once."""
    chosen = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: confidence}
    message.data[INTENT] = chosen
    rest = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get(INTENT_NAME_KEY) != intent]
    message.data[INTENT_RANKING_KEY] = [dict(chosen)] + rest
