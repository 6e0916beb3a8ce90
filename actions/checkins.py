"""The post-procedure check-in (bot/checkins): reads the pain number and the
warning-sign answer, records both on the check-in row, and gives the emergency
reply at once when a warning sign is reported.

The answers are read here, not by new learned intents: a number and a yes or no
arrive under whatever intent the classifier gives them (the form takes the text),
so adding the check-in moved nothing the safety guard reads.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import answer_words
from bot.checkins import store
from bot.db.models import utc_now

logger = logging.getLogger(__name__)

NUMBER_WORDS = {"zero": 0, "none": 0, "no pain": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_NUMBER = re.compile(r"(?<![\d.])(10|[0-9])(?![\d.])")
_WORD = re.compile(r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b")
_YES, _NO = re.compile(answer_words.YES), re.compile(answer_words.NO)


def read_pain(text: Optional[str]) -> Optional[int]:
    """The one pain score 0-10 in a reply ("6", "about a 6", "six", "6/10"); None if
    there is none or more than one ("between 4 and 6" is asked again)."""
    words = (text or "").lower().replace("/10", " ").replace("out of 10", " ")
    numbers = {int(n) for n in _NUMBER.findall(words)} | {NUMBER_WORDS[w] for w in _WORD.findall(words)}
    return numbers.pop() if len(numbers) == 1 else None


def read_warning(message: Dict[str, Any]) -> Optional[bool]:
    """True for a yes (or an emergency message), False for a no, None otherwise."""
    intent = ((message.get("intent") or {}).get("name"))
    if intent == "emergency":
        return True
    text = (message.get("text") or "").lower()
    yes, no = bool(_YES.search(text)), bool(_NO.search(text))
    if intent == "affirm" or (yes and not no):
        return True
    if intent == "deny" or (no and not yes):
        return False
    return None


async def _record(tracker: Tracker, **answer: Any) -> None:
    try:
        await asyncio.to_thread(store.record_answer, tracker.sender_id, utc_now(), **answer)
    except Exception:  # noqa: BLE001 - the reply matters more; the console shows the gap
        logger.exception("could not record a check-in answer")


class ActionStartCheckin(Action):
    """Clears the last check-in's answers and greets; the form asks the questions."""

    def name(self) -> Text:
        return "action_start_checkin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
                  ) -> List[EventType]:
        dispatcher.utter_message(response="utter_checkin_intro")
        return [SlotSet("checkin_pain", None), SlotSet("checkin_warning", None)]


class ValidateCheckinForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_checkin_form"

    async def validate_checkin_pain(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {}
        pain = read_pain((tracker.latest_message or {}).get("text"))
        if pain is None:
            dispatcher.utter_message(response="utter_checkin_pain_unclear")
            return {"checkin_pain": None}
        await _record(tracker, pain=pain)
        return {"checkin_pain": str(pain)}

    async def validate_checkin_warning(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {}
        warning = read_warning(tracker.latest_message or {})
        if warning is None:
            dispatcher.utter_message(response="utter_checkin_warning_unclear")
            return {"checkin_warning": None}
        if warning:
            # first, before anything is stored: the patient reads it now
            dispatcher.utter_message(response="utter_emergency")
        await _record(tracker, warning_sign=warning)
        return {"checkin_warning": "yes" if warning else "no"}


class ActionCheckinDone(Action):
    def name(self) -> Text:
        return "action_checkin_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
                  ) -> List[EventType]:
        if tracker.get_slot("checkin_warning") != "yes":  # a warning sign had the emergency reply
            dispatcher.utter_message(response="utter_checkin_thanks")
        return []
