"""Rasa's Telegram connector, plus verification that an update really comes from Telegram.

Telegram sends the `secret_token` given to setWebhook in the
`X-Telegram-Bot-Api-Secret-Token` header of every update
(https://core.telegram.org/bots/api#setwebhook). Rasa's TelegramInput neither
sets nor checks it; here the webhook is set with it and an update without the
header is refused with 401, one with a wrong value with 403 (constant-time
compare). Buttons are Telegram inline keyboards (one button a row when they
would not fit on one line); pressing one is answered so the client stops waiting.
Every catalogue answer gets its source and "was this helpful?" buttons
(channels/answer_buttons.py).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.exceptions import InvalidConfigException, RasaException
from sanic import Blueprint
from sanic.request import Request

from channels._verify import refuse, require
from channels.answer_buttons import with_answer_buttons
from channels.checkin_stop import with_checkin_stop
from channels.deliveries import guard_deliveries, reraise_as_retryable
from channels.namespaces import PLATFORM_PREFIXES, in_namespace
from channels.text import with_clean_text

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class SecureTelegramOutput(TelegramOutput):
    """Rasa's Telegram output, pointed at a configurable Bot API server, get_me cached."""

    def __init__(self, access_token: Optional[Text], api_base_url: Optional[Text] = None) -> None:
        if api_base_url:
            # aiogram's Bot takes another Bot API server (Telegram's local server, or a stand-in)
            super(TelegramOutput, self).__init__(
                access_token, server=TelegramAPIServer.from_base(api_base_url))
        else:
            super().__init__(access_token)
        self._me = None

    async def get_me(self):  # type: ignore[override]
        if self._me is None:
            self._me = await super().get_me()
        return self._me

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # a catalogue answer gets its source and "was this helpful?" buttons; a turn Rasa's
        # HTTP API started (a check-in, bot/checkins) names the chat as telegram:<chat>
        await super().send_response(recipient_id.removeprefix(PLATFORM_PREFIXES["telegram"]),
                                    with_answer_buttons(message))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]],
                                     button_type: Optional[Text] = None, **kwargs: Any) -> None:
        if button_type is None:
            one_row = len(buttons) <= 3 and sum(len(b["title"]) for b in buttons) <= 30
            button_type = "inline" if one_row else "vertical"
        if button_type in ("inline", "vertical"):
            markup = InlineKeyboardMarkup()
            row = [InlineKeyboardButton(b["title"], callback_data=b["payload"]) for b in buttons]
            if button_type == "inline":
                markup.row(*row)
            else:
                for button in row:
                    markup.row(button)
            await self.send_message(recipient_id, text, reply_markup=markup)
            return
        await super().send_text_with_buttons(recipient_id, text, buttons, button_type, **kwargs)

    async def set_verified_webhook(self, url: Text, secret_token: Text) -> bool:
        # aiogram 2.15 predates the `secret_token` argument: call the method directly.
        try:
            return await self.request("setWebhook", {
                "url": url, "secret_token": secret_token,
                "allowed_updates": json.dumps(ALLOWED_UPDATES)})
        finally:
            # this runs in a short-lived event loop at start-up: the server's loop
            # must open its own HTTP session
            await self.session.close()


class SecureTelegramInput(TelegramInput):
    """Telegram input that refuses updates without Telegram's secret-token header."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        require("telegram", credentials, ["access_token", "verify", "webhook_url", "secret_token"])
        return cls(credentials["access_token"], credentials["verify"], credentials["webhook_url"],
                   secret_token=credentials["secret_token"],
                   api_base_url=credentials.get("api_base_url"))

    def __init__(self, access_token: Optional[Text], verify: Optional[Text],
                 webhook_url: Optional[Text], secret_token: Text = "",
                 api_base_url: Optional[Text] = None) -> None:
        # debug_mode on: a failed turn is a 503 (channels/deliveries.py) and Telegram
        # resends the update; a resent update already handled is not answered again
        super().__init__(access_token, verify, webhook_url, debug_mode=True)
        if not SECRET_TOKEN.match(secret_token or ""):
            raise InvalidConfigException(
                "TELEGRAM_SECRET_TOKEN must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        self.secret_token = secret_token
        self.api_base_url = api_base_url
        self._out: Optional[SecureTelegramOutput] = None

    def get_output_channel(self) -> SecureTelegramOutput:
        if self._out is None:
            channel = SecureTelegramOutput(self.access_token, self.api_base_url)
            try:
                asyncio.run(channel.set_verified_webhook(self.webhook_url, self.secret_token))
            except TelegramAPIError as error:
                raise RasaException(f"Failed to set channel webhook: {error}") from error
            self._out = channel
        return self._out

    def is_from_telegram(self, request: Request) -> Optional[int]:
        """None when the secret header matches, else the HTTP status to refuse with."""
        presented = request.headers.get(SECRET_HEADER)
        if not presented:
            return 401
        if not hmac.compare_digest(presented.encode(), self.secret_token.encode()):
            return 403
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # a turn: text cleaned, conversation named telegram:<chat>, a failure a 503 to resend
        turn = reraise_as_retryable(in_namespace("telegram", with_clean_text(
            with_checkin_stop("telegram", on_new_message))))
        telegram_webhook = super().blueprint(turn)

        @telegram_webhook.middleware("request")
        async def verify(request: Request):
            if request.method == "GET" and not request.path.endswith("/set_webhook"):
                return None  # health check
            if request.path.endswith("/webhook") and request.method != "POST":
                return refuse(405, "POST only")
            status = self.is_from_telegram(request)
            if status:
                logger.warning("refused a Telegram webhook call without a valid secret token")
                return refuse(status, "missing Telegram secret token" if status == 401
                              else "wrong Telegram secret token")
            if request.path.endswith("/webhook"):
                update = request.json if isinstance(request.json, dict) else {}
                if not any(update.get(kind) for kind in ALLOWED_UPDATES):
                    return refuse(200, "ignored: not a message")
                query = update.get("callback_query") or {}
                if query.get("id"):
                    asyncio.create_task(self._answer_callback(query["id"]))
            return None

        guard_deliveries(telegram_webhook, "telegram", update_id)
        return telegram_webhook

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.get_output_channel().answer_callback_query(query_id)
        except Exception as error:  # noqa: BLE001 - a spinner left on is not worth a failure
            logger.debug("could not answer callback query: %s", error)


def update_id(request: Request) -> Optional[str]:
    update = request.json if isinstance(request.json, dict) else {}
    return str(update["update_id"]) if isinstance(update.get("update_id"), int) else None
