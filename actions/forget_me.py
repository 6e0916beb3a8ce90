"""Forget me: a patient's conversation deleted on request, after a yes.

Asked first, because a deletion cannot be undone and "delete" can be a slip of
the finger: `action_ask_forget_me` says what would go (utter_confirm_forget_me)
and marks the question as pending, so only the very next yes or no answers it
(any other message clears the slot through its domain mapping). It also clears
a pending call back offer, so a "yes" cannot be read as both.

On yes, `action_forget_me` deletes everything of the conversation in one
transaction (bot/db/erasure.py) and returns `Restarted`, then the confirmation
(utter_forget_me_done) as a follow-up: the tracker's state is reset, and the
tracker store writes this turn's events only from this action on
(stores/tracker_store.py), so what is left is the restart and the confirmation,
nothing the patient wrote. If the database
fails, nothing was deleted and the patient is told so, never "done".
"""
from __future__ import annotations

import logging
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import care_team_contact
from bot.db.erasure import ERASING_ACTION, erase_conversation

logger = logging.getLogger(__name__)

PENDING_SLOT = "forget_me_pending"
DONE_RESPONSE = "utter_forget_me_done"


def keep_conversation(dispatcher: CollectingDispatcher) -> List[EventType]:
    """Nothing is deleted, and the question is no longer pending."""
    dispatcher.utter_message(response="utter_forget_me_cancelled")
    return [SlotSet(PENDING_SLOT, False)]


class ActionAskForgetMe(Action):
    """Says what would be deleted and asks to confirm."""

    def name(self) -> Text:
        return "action_ask_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_confirm_forget_me")
        return [SlotSet(PENDING_SLOT, True), SlotSet("callback_offered", False)]


class ActionForgetMe(Action):
    """Deletes the conversation after the patient confirmed, then starts afresh."""

    def name(self) -> Text:
        return ERASING_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # Checked here whatever path led to this call (a rule, a replayed call):
        # nothing is deleted without the confirmation question just before.
        if tracker.get_slot(PENDING_SLOT) is not True:
            return keep_conversation(dispatcher)
        try:
            counts = erase_conversation(tracker.sender_id)
        except Exception as error:  # noqa: BLE001 - any database failure: nothing was deleted
            logger.error("Could not erase a conversation: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_forget_me_failed", **care_team_contact())
            return [SlotSet(PENDING_SLOT, False)]
        # counts only: the conversation's id is what was just erased
        logger.info("erased a conversation: %s", counts)
        # The confirmation comes after the restart, as the new conversation's first
        # reply: said here, it would sit before the restart, where the HTTP API's
        # tracker (events after the last restart) no longer shows it.
        return [Restarted(), FollowupAction(DONE_RESPONSE)]


class ActionKeepConversation(Action):
    """The patient said no: nothing is deleted, and the question is no longer pending."""

    def name(self) -> Text:
        return "action_keep_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return keep_conversation(dispatcher)
