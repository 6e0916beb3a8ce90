"""'Where does that come from?': the passage behind the last answer, quoted.

The widget shows the passage under every answer; Telegram and Slack get a
button for it, and on SMS and WhatsApp the patient asks in words. The reply is
the passage itself with the document's title (settings.SOURCE_TITLE), never a
paraphrase, so a patient can check the assistant against what the clinic wrote.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.last_answer import given_answer, source_passages
from bot.settings import get_settings

# Passages of one answer, in order; an elision mark between them because they
# are separate sentences of the document, not one quotation.
BETWEEN_PASSAGES = " … "


class ActionShowSource(Action):
    """Quotes the passage the last (or the named) catalogue answer rests on."""

    def name(self) -> Text:
        return "action_show_source"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        answer = given_answer(tracker)
        passages = source_passages(domain, answer.utter_action) if answer else []
        if not passages:
            dispatcher.utter_message(response="utter_source_none")
            return []
        values: Dict[str, Any] = {
            "title": get_settings().source_title,
            "quote": BETWEEN_PASSAGES.join(passages),
            "quote_lines": "\n".join(f"> {passage}" for passage in passages),
        }
        dispatcher.utter_message(response="utter_source", **values)
        return []
