"""Every conversation belongs to the channel that created it.

Rasa keys a conversation by its sender id alone, and each channel takes that id
from what its caller sends: a REST caller could post into, or `/restart`, a
Telegram chat (its numeric id), an SMS or WhatsApp conversation (the phone
number) or a Slack user's. Here the platforms' conversations are named in their
own namespace (`telegram:<chat id>`, `twilio:<number>`, `slack:<user>`; the
widget's are `web-<HMAC>`, bot/widget/tokens.py), replies still go to the
platform's own id, and the REST channel refuses an id in another namespace.
REST keeps plain ids, so a REST message from sender X is still conversation X
(the answer catalogue's contract).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import OutputChannel, UserMessage

PLATFORM_PREFIXES: Dict[str, str] = {"telegram": "telegram:", "twilio": "twilio:", "slack": "slack:"}
WEB_PREFIX = "web-"  # bot/widget/tokens.conversation_id
RESERVED = tuple(PLATFORM_PREFIXES.values()) + (WEB_PREFIX,)


def belongs_to_another_channel(sender_id: str) -> bool:
    """True for an id the REST channel may not use."""
    return sender_id.lower().startswith(RESERVED)


class PlatformOutput(OutputChannel):
    """The platform's output channel, addressed by the platform's own id."""

    def __init__(self, inner: OutputChannel, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def name(self) -> Text:  # type: ignore[override]  # the platform's (channel-specific responses)
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.inner.send_response(recipient_id.removeprefix(self.prefix), message)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)


def in_namespace(platform: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                 ) -> Callable[[UserMessage], Awaitable[Any]]:
    prefix = PLATFORM_PREFIXES[platform]

    async def handle(message: UserMessage) -> Any:
        message.sender_id = prefix + str(message.sender_id)
        message.output_channel = PlatformOutput(message.output_channel, prefix)
        return await on_new_message(message)

    return handle
