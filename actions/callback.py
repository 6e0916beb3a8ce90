"""Callback requests: the person's name and phone, stored only with explicit consent."""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

import phonenumbers
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answers
from actions.handoff import care_team_contact
from actions.run_keys import form_run_key
from bot.db.repository import CallbackLimitReached, save_callback
from bot.settings import get_settings

logger = logging.getLogger(__name__)

CALLBACK_SLOTS = ["callback_name", "callback_phone", "callback_consent"]
NAME_PATTERN = re.compile(r"^[^\W\d_][^\W\d_ .'\-]*(?:[ .'\-]+[^\W\d_]+)*\.?$")
NAME_PREFIXES = re.compile(r"^(my name is|i am|i'm|im|it's|its|this is|call me|name is|ask for)\s+", re.I)


def clean_name(text: str) -> Optional[str]:
    """A person's name, 2 to 80 letters with spaces, hyphens or apostrophes; else None."""
    name = NAME_PREFIXES.sub("", " ".join((text or "").split())).strip(" .,!")
    if not 2 <= len(name) <= 80 or not NAME_PATTERN.match(name):
        return None
    return name


def clean_phone(text: str, region: str) -> Optional[str]:
    """The number in E.164 form if it is a valid phone number, else None."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", region):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    def validate_callback_name(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        name = clean_name(str(value))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_callback_name")
        return {"callback_name": name}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        phone = clean_phone(str(value), get_settings().phone_region)
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_callback_phone")
        return {"callback_phone": phone}

    def validate_callback_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        given = answers.consent(tracker.latest_message or {})
        if given is None:
            dispatcher.utter_message(response="utter_screening_not_understood")
            return {"callback_consent": None}
        return {"callback_consent": "yes" if given else "no"}


class ActionSaveCallback(Action):
    """Stores the request when consent was given; utter_handoff confirms."""

    def name(self) -> Text:
        return "action_save_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reset = [SlotSet(slot, None) for slot in CALLBACK_SLOTS] + [SlotSet("callback_offered", False)]
        if tracker.get_slot("callback_consent") != "yes":
            dispatcher.utter_message(response="utter_callback_declined")
            return reset
        # Checked again here, whatever path the slot values came by (a forged
        # button payload, a replayed call): only a clean name and a valid number.
        name = clean_name(str(tracker.get_slot("callback_name") or ""))
        phone = clean_phone(str(tracker.get_slot("callback_phone") or ""), get_settings().phone_region)
        screening_id = tracker.get_slot("screening_id")
        if name is None or phone is None or not (screening_id is None or isinstance(screening_id, int)):
            logger.warning("Refused to store a callback request with invalid fields.")
            dispatcher.utter_message(response="utter_callback_not_saved", **care_team_contact())
            return reset
        try:
            save_callback(
                conversation_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel(),
                name=name,
                phone=phone,
                screening_id=screening_id,
                run_key=form_run_key(tracker, "callback_form"),
            )
        except CallbackLimitReached:
            logger.warning("Refused a callback request past the per-conversation limit.")
            dispatcher.utter_message(response="utter_callback_already_requested", **care_team_contact())
            return reset
        except Exception as error:  # noqa: BLE001 - any database failure
            # Name and phone are personal data: never in the log.
            logger.error("Could not store a callback request: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_callback_not_saved", **care_team_contact())
            return reset
        dispatcher.utter_message(response="utter_callback_saved")
        dispatcher.utter_message(response="utter_handoff", **care_team_contact())
        return reset


class ActionDeclineCallback(Action):
    def name(self) -> Text:
        return "action_decline_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_offer_help")
        return [SlotSet("callback_offered", False)]
