"""How to reach the care team, from configuration.

Runs just before `utter_handoff` (data/rules). If the action server is down,
Rasa logs the failed action and the rule goes on: `utter_handoff` then uses the
domain's initial slot values, which are true for any clinic. Nothing else a
patient asks depends on the action server.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.settings import get_settings


def care_team_contact() -> Dict[Text, Text]:
    """The template values of responses that name the care team's contact."""
    settings = get_settings()
    return {"care_team_phone": settings.care_team_phone, "care_team_hours": settings.care_team_hours}


class ActionCareTeamContact(Action):
    def name(self) -> Text:
        return "action_care_team_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return [SlotSet(name, value) for name, value in care_team_contact().items()]
