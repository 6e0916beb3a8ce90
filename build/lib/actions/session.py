"""Conversation start: fills the care-team contact slots from configuration."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.settings import get_settings


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        settings = get_settings()
        return [
            SessionStarted(),
            SlotSet("care_team_phone", settings.care_team_phone),
            SlotSet("care_team_hours", settings.care_team_hours),
            ActionExecuted("action_listen"),
        ]
