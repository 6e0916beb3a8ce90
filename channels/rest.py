"""The REST channel, with input checks: same URL (/webhooks/rest/webhook), same replies.

Rasa's RestInput lets a request without `sender` join one shared "default"
conversation, swallows a non-text `message` into an empty reply, takes any
`metadata` (1 MB stored as 3 MB of events; a non-object one crashed the turn),
and when a turn fails it logs the message text and still answers `200 []`, so
the client believes it was handled. Here a bad request gets a clear HTTP error,
a failed turn a 503 with Retry-After that the client can retry, the log gets an
incident id and the error class (never what the person wrote), and streaming
(`?stream=true`, which could hold a connection for an hour) is refused.
"""
from __future__ import annotations

import hmac
import json
import logging
import re
import uuid
import warnings
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.namespaces import belongs_to_another_channel
from channels.text import clean_text

logger = logging.getLogger(__name__)

# Rasa warns "Failed to parse arguments in line '<the whole message>'" when a
# message starts with "/" but is no intent (a patient's words, into the log):
# this module is loaded by every Rasa server, so the warning is silenced here.
warnings.filterwarnings("ignore", message=r"Failed to parse arguments in line")

MAX_MESSAGE_CHARS = 4000
# The REST channel has no metadata of its own to carry; a client's is dropped.
KNOWN_METADATA_KEYS: tuple = ()
MAX_METADATA_BYTES = 2048
RETRY_AFTER_SECONDS = 2
SENDER_PATTERN = re.compile(r"[\w.:@+\-]{1,128}")  # whole string (fullmatch: no trailing newline)


class BadMessage(SanicException):
    status_code = 400
    quiet = True  # a client mistake, not a server error: no stack trace in the logs


class MessageTooLong(BadMessage):
    status_code = 413


class GuardedRestInput(RestInput):
    # With `token` (REST_TOKEN, written by channels/credentials.py), a request must
    # carry `Authorization: Bearer <token>`: the production set-up's patients use the
    # widget and the platforms, so REST there is for the practice's own systems.
    token: Optional[str] = None

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedRestInput":
        channel = cls()
        channel.token = str((credentials or {}).get("token") or "") or None
        return channel

    def authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        presented = request.headers.get("Authorization", "")
        return hmac.compare_digest(presented.encode(), f"Bearer {self.token}".encode())

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        body = _json_object(req)
        sender = body.get("sender")
        if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
            raise BadMessage("'sender' must be a conversation id of 1-128 letters, digits or . _ - : @ +")
        if belongs_to_another_channel(sender):
            raise BadMessage("'sender' names a conversation of another channel")
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

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _json_object(request).get("metadata")
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            raise BadMessage("'metadata' must be a JSON object")
        if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
            raise MessageTooLong(f"'metadata' is larger than {MAX_METADATA_BYTES} bytes")
        return {key: metadata[key] for key in KNOWN_METADATA_KEYS if key in metadata} or None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return response.json({"error": "this channel needs its token (Authorization: Bearer ...)"},
                                     status=401)
            if request.args.get("stream", "").lower() in ("true", "1", "yes"):
                raise BadMessage("streaming replies are not offered; send without ?stream")
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            metadata = self.get_metadata(request)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender_id,
                                                 input_channel=self._extract_input_channel(request),
                                                 metadata=metadata))
            except (CancelledError, Exception) as error:  # noqa: BLE001 - any failed turn
                incident = uuid.uuid4().hex[:12]
                # a patient's words are health data: the class and an id, never the text
                logger.error("REST message not processed (%s): %s", incident, type(error).__name__)
                return response.json(
                    {"error": "the message could not be processed; please send it again", "incident": incident},
                    status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            return response.json(collector.messages)

        return webhook


def _json_object(req: Request) -> dict:
    try:
        body = req.json
    except Exception as error:  # noqa: BLE001 - sanic raises on malformed JSON
        raise BadMessage("the request body is not valid JSON") from error
    if not isinstance(body, dict):
        raise BadMessage("the request body must be a JSON object with 'sender' and 'message'")
    return body
