"""The REST channel, with input checks: same URL (/webhooks/rest/webhook), same replies.

Rasa's RestInput lets a request without `sender` join one shared "default"
conversation, swallows a non-text `message` into an empty reply, and logs the
message text when a turn fails. Here a bad request gets a clear HTTP error and
nothing the person wrote is logged.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import SanicException
from sanic.request import Request

MAX_MESSAGE_CHARS = 4000
SENDER_PATTERN = re.compile(r"^[\w.:@+\-]{1,128}$")
# control characters other than tab and newline carry no meaning for the assistant
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


class BadMessage(SanicException):
    status_code = 400
    quiet = True  # a client mistake, not a server error: no stack trace in the logs


class MessageTooLong(BadMessage):
    status_code = 413


def clean_text(text: Text) -> Text:
    """NFC-normalised text without invisible control characters."""
    return CONTROL_CHARACTERS.sub("", unicodedata.normalize("NFC", text)).strip()


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        body = _json_object(req)
        sender = body.get("sender")
        if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
            raise BadMessage("'sender' must be a conversation id of 1-128 letters, digits or . _ - : @ +")
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _json_object(req).get("message")
        if not isinstance(message, str):
            raise BadMessage("'message' must be text")
        if len(message) > MAX_MESSAGE_CHARS:
            raise MessageTooLong(f"'message' is longer than {MAX_MESSAGE_CHARS} characters; please shorten it")
        text = clean_text(message)
        if not text:
            raise BadMessage("'message' is empty")
        return text


def _json_object(req: Request) -> dict:
    try:
        body = req.json
    except Exception as error:  # noqa: BLE001 - sanic raises on malformed JSON
        raise BadMessage("the request body is not valid JSON") from error
    if not isinstance(body, dict):
        raise BadMessage("the request body must be a JSON object with 'sender' and 'message'")
    return body
