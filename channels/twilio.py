"""Rasa's Twilio connector (SMS and WhatsApp), plus Twilio's request signature check.

Twilio signs each webhook call: `X-Twilio-Signature` is an HMAC-SHA1, with the
account's auth token, of the full public URL and the POSTed parameters
(https://www.twilio.com/docs/usage/security#validating-requests). Rasa's
TwilioInput does not check it; here `twilio.request_validator.RequestValidator`
does, against the public URL (`webhook_base_url` + path, since behind a proxy
the URL this server sees differs), and an unsigned or tampered call gets 403.

SMS and WhatsApp have no buttons: they become numbered options in the text
("Reply 1 for Yes, 2 for No"), and a reply of just that number is mapped back
to the button's payload. The buttons are read from the conversation's own
tracker, so the mapping holds across restarts and between Rasa servers that
share a tracker store. WhatsApp numbers arrive as `whatsapp:+1...`; replies to
them go out from the WhatsApp sender number.
"""
from __future__ import annotations

import asyncio
import logging
import re
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint
from sanic.request import Request
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

from channels._verify import refuse, require
from channels.checkin_stop import with_checkin_stop
from channels.deliveries import guard_deliveries, reraise_as_retryable
from channels.namespaces import PLATFORM_PREFIXES, in_namespace
from channels.text import with_clean_text

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
WHATSAPP = "whatsapp:"
NUMBER_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


# The Rasa agent serving the current webhook call (set by the request middleware):
# the channel's message handler has no request of its own to reach it through.
_current_agent: ContextVar[Any] = ContextVar("twilio_current_agent", default=None)


def payload_for_number(events: Sequence[Event], text: Optional[str]) -> Optional[str]:
    """The payload of button N of the buttons last sent, when the reply is just "N".

    Only buttons sent since the person's previous message count: an old list
    further up the thread is no longer the question being answered."""
    match = NUMBER_REPLY.match(text or "")
    if not match:
        return None
    for event in reversed(events):
        if isinstance(event, UserUttered):
            return None
        buttons = event.data.get("buttons") if isinstance(event, BotUttered) else None
        if buttons:
            number = int(match.group(1))
            return buttons[number - 1]["payload"] if 1 <= number <= len(buttons) else None
    return None


def numbered_options(text: str, buttons: List[Dict[str, Any]]) -> str:
    choices = ", ".join(f"{i} for {b['title']}" for i, b in enumerate(buttons, start=1))
    return f"{text.strip()}\n\nReply {choices}."


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending to another base URL (a regional edge or a stand-in)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class SecureTwilioOutput(TwilioOutput):
    def __init__(self, account_sid: Text, auth_token: Text, twilio_number: Text,
                 whatsapp_number: Optional[Text], api_base_url: Optional[Text] = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number)
        if api_base_url:
            self.http_client = RebasedHttpClient(api_base_url, timeout=30)
        self.whatsapp_number = whatsapp_number or twilio_number

    def _sender_for(self, recipient: str) -> str:
        if recipient.startswith(WHATSAPP):
            number = self.whatsapp_number
            return number if number.startswith(WHATSAPP) else WHATSAPP + number
        return self.twilio_number

    async def _send_message(self, message_data: Dict[Text, Any]):  # type: ignore[override]
        # a turn Rasa's HTTP API started (a check-in, bot/checkins) names the recipient by
        # the conversation, twilio:<number>; a webhook turn by the number already
        message_data["to"] = message_data["to"].removeprefix(PLATFORM_PREFIXES["twilio"])
        message_data["from_"] = self._sender_for(message_data["to"])
        # Twilio's client is blocking: keep the server's event loop free meanwhile
        return await asyncio.to_thread(self._send_blocking, message_data)

    def _send_blocking(self, message_data: Dict[Text, Any]):
        try:
            return self.messages.create(**message_data)
        except Exception as error:  # noqa: BLE001 - log and go on, as Rasa's output does
            logger.error("Twilio did not take the message: %s", error)
            return None

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self._send_message({"to": recipient_id, "body": numbered_options(text, buttons)})


class SecureTwilioInput(TwilioInput):
    """Twilio input that refuses calls without a valid `X-Twilio-Signature`."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        require("twilio", credentials, ["account_sid", "auth_token", "twilio_number"])
        return cls(credentials["account_sid"], credentials["auth_token"],
                   credentials["twilio_number"],
                   whatsapp_number=credentials.get("whatsapp_number"),
                   webhook_base_url=credentials.get("webhook_base_url"),
                   api_base_url=credentials.get("api_base_url"))

    def __init__(self, account_sid: Text, auth_token: Text, twilio_number: Text,
                 whatsapp_number: Optional[Text] = None, webhook_base_url: Optional[Text] = None,
                 api_base_url: Optional[Text] = None) -> None:
        # debug_mode on: a failed turn is a 503 (channels/deliveries.py), so Twilio
        # tries again, where Rasa answered 204; a message already handled is not answered again
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=True)
        self.whatsapp_number = whatsapp_number
        self.webhook_base_url = (webhook_base_url or "").rstrip("/") or None
        self.api_base_url = api_base_url
        self.validator = RequestValidator(auth_token)

    def public_url(self, request: Request) -> str:
        """The URL Twilio called, which it signed: the configured public base + this path."""
        if not self.webhook_base_url:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.webhook_base_url}{request.path}{query}"

    def is_from_twilio(self, request: Request) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        params = {key: values[0] for key, values in request.form.items()}
        return self.validator.validate(self.public_url(request), params, signature)

    def get_output_channel(self) -> SecureTwilioOutput:
        return SecureTwilioOutput(self.account_sid, self.auth_token, self.twilio_number,
                                  self.whatsapp_number, self.api_base_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_numbered_replies(message: UserMessage) -> Any:
            agent = _current_agent.get()
            if agent is not None and NUMBER_REPLY.match(message.text or ""):
                tracker = await agent.tracker_store.retrieve(message.sender_id)
                payload = payload_for_number(tracker.events if tracker else [], message.text)
                if payload is not None:
                    message.text = payload
            return await on_new_message(message)

        # a turn: text cleaned, conversation named twilio:<number> (before the numbered
        # reply is read from it), a failure a 503 to resend
        turn = reraise_as_retryable(in_namespace("twilio", with_clean_text(
            with_checkin_stop("twilio", with_numbered_replies))))
        twilio_webhook = super().blueprint(turn)

        @twilio_webhook.middleware("request")
        async def verify(request: Request):
            if request.method == "POST" and not self.is_from_twilio(request):
                logger.warning("refused a Twilio webhook call without a valid signature")
                return refuse(403, "missing or invalid X-Twilio-Signature")
            _current_agent.set(getattr(request.app.ctx, "agent", None))
            return None

        guard_deliveries(twilio_webhook, "twilio", lambda request: request.form.get("MessageSid"))
        return twilio_webhook
