"""STOP from a patient enrolled for check-ins (bot/checkins), honoured at once.

On SMS Twilio itself handles STOP at the carrier (and stops delivering to the
number); it still forwards the message, and so does WhatsApp. Here a STOP word
(or /stop on Telegram) from a conversation with an active enrolment stops it
before any turn: the enrolment records when and how, every check-in not yet
sent is cancelled, and one confirmation is sent. From anyone not enrolled the
message is an ordinary turn, as before.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage

from bot.checkins.enrolment import stop

logger = logging.getLogger(__name__)

# Twilio's standard opt-out keywords (https://help.twilio.com/articles/223134027)
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
CONFIRMATION = "You will get no more check-in messages from your care team. You can still write to me any time."


def stop_word(platform: str, text: Optional[str]) -> Optional[str]:
    words = (text or "").strip().lower().rstrip(".!")
    if platform == "telegram":
        return "/stop" if words in ("/stop", "stop", "unsubscribe") else None
    return words if words in STOP_WORDS else None


def with_checkin_stop(platform: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                      ) -> Callable[[UserMessage], Awaitable[Any]]:
    async def handle(message: UserMessage) -> Any:
        word = stop_word(platform, message.text)
        if word is not None:
            stopped = await asyncio.to_thread(stop, message.sender_id, f"{platform} {word}")
            if stopped:
                logger.info("check-ins stopped by the patient (%s)", platform)
                # send_response: the namespaced output (channels/namespaces.py) strips the prefix there
                await message.output_channel.send_response(message.sender_id, {"text": CONFIRMATION})
                return None
        return await on_new_message(message)

    return handle
