"""One cleaning of what a person typed, for every channel.

Control characters other than tab and newline carry no meaning for the
assistant, and some show staff another sentence than the one stored (a
right-to-left override), hide words (tag characters, invisible letters) or
break JSON and logs (lone surrogates). The REST channel cleaned them; the
socket.io channel and the platforms did not. Each channel now passes what it
receives through `clean_text` (REST and socket.io directly, the platforms
through `with_clean_text`).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import UserMessage

# control characters other than tab and newline carry no meaning for the assistant
# (and what shows one sentence to staff while another was stored): bidi controls
# and isolates, tag characters, invisible letters, lone surrogates
CONTROL_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069"
    "\u3164\ufeff\uffa0\ud800-\udfff\U000e0000-\U000e007f]")



def clean_text(text: Text) -> Text:
    """NFC-normalised text without invisible control characters."""
    return CONTROL_CHARACTERS.sub("", unicodedata.normalize("NFC", text)).strip()


def with_clean_text(on_new_message: Callable[[UserMessage], Awaitable[Any]]
                    ) -> Callable[[UserMessage], Awaitable[Any]]:
    async def handle(message: UserMessage) -> Any:
        if isinstance(message.text, str):
            message.text = clean_text(message.text)
        return await on_new_message(message)

    return handle
