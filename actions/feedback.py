"""'Was this helpful?' from the platforms: a button tap or a plain "that helped".

Stored exactly like the widget's tap (bot/db/feedback.py): one row per answer,
the first one stands, only for an answer this conversation was really given.
A store that fails raises, so Rasa answers the platform with an error it
retries, never a thank-you for feedback that was lost.
"""
from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.last_answer import given_answer
from bot.db import feedback


def helpful_value(tracker: Tracker) -> Optional[bool]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "helpful":
            return {"yes": True, "no": False}.get(str(entity.get("value")).lower())
    return None


class ActionRecordFeedback(Action):
    """Stores a helpful / not helpful for the answer it is about, once."""

    def name(self) -> Text:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        answer = given_answer(tracker)
        helpful = helpful_value(tracker)
        if answer is None or helpful is None:
            dispatcher.utter_message(response="utter_feedback_nothing")
            return []
        channel = (tracker.get_latest_input_channel() or None)
        feedback.record(tracker.sender_id, answer.answer_id, helpful, answer.timestamp, channel=channel)
        dispatcher.utter_message(response="utter_feedback_thanks")
        return []
