"""The `/intent{entities}` syntax only for the buttons the assistant offered.

Rasa reads a message that starts with "/" as an intent with entities, which is
how buttons work, but it takes it from anyone: a script sent 13 such messages
in 1.2 s and stored a screening with forged answers and a callback request.
Here a slash message is taken as written only when it is the payload of a
button in the assistant's replies since the patient's last message, or one of
the few commands any client may send (start over, start the checklist: the
widget's own buttons). Otherwise the slash and any entities are dropped and
the words are read as ordinary text, so an old Telegram button still reads
roughly as meant, and no entity can be injected. The buttons the platforms put
under every catalogue answer (channels/answer_buttons.py: its source, helpful
or not) are offered for as long as the answer is in the conversation, because
they sit under it: their payloads are rebuilt from the answers really given,
so only the exact payload of a real answer's button is taken.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, Optional, Set

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.answer_buttons import answer_buttons

logger = logging.getLogger(__name__)

ALWAYS_ALLOWED = {"/restart", "/screening"}  # the widget's "Start over" and "Start the checklist"
ENTITIES = re.compile(r"[{\[@].*$", re.DOTALL)

_original_parse_message = MessageProcessor.parse_message


def offered_payloads(tracker: DialogueStateTracker) -> Set[str]:
    """Payloads of the buttons in the replies since the last user message."""
    offered: Set[str] = set()
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for key in ("buttons", "quick_replies"):
                for button in (event.data or {}).get(key) or []:
                    if isinstance(button, dict) and isinstance(button.get("payload"), str):
                        offered.add(button["payload"].strip())
    return offered


def answer_control_payloads(tracker: DialogueStateTracker) -> Set[str]:
    """Payloads of the source and feedback buttons under every catalogue answer given."""
    return {button["payload"] for event in tracker.events if isinstance(event, BotUttered)
            for button in answer_buttons(event.message()) or []}


def as_plain_words(text: str) -> str:
    """'/inform{"choice": "yes"}' -> 'inform': the words, without the intent syntax."""
    return ENTITIES.sub("", text.lstrip("/")).replace("_", " ").strip() or "?"


async def _parse_only_offered_payloads(self: MessageProcessor, message: UserMessage,
                                       tracker: Optional[DialogueStateTracker] = None,
                                       only_output_properties: bool = True) -> Dict[str, Any]:
    text = (message.text or "").strip()
    # no tracker: the token-protected /model/parse, not a conversation
    if tracker is not None and text.startswith("/") and text not in ALWAYS_ALLOWED \
            and text not in offered_payloads(tracker) and text not in answer_control_payloads(tracker):
        logger.info("a slash message that no offered button carries was read as plain words")
        message.text = as_plain_words(text)
    return await _original_parse_message(self, message, tracker, only_output_properties)


def install() -> None:
    MessageProcessor.parse_message = _parse_only_offered_payloads
