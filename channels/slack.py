"""Rasa's Slack connector, with a configurable Web API base URL.

Rasa's SlackInput already checks Slack's signing secret (`X-Slack-Signature`,
HMAC-SHA256 of `v0:<timestamp>:<body>`, five-minute replay window) and refuses
a call that fails it with HTTP 400; buttons already go out as Slack's native
Block Kit buttons. This subclass lets the Web API base URL be set (an
Enterprise Grid or a stand-in for tests), refuses to start unsigned, and
puts the source and "was this helpful?" buttons under every catalogue answer
(channels/answer_buttons.py), and answers each event once: Rasa acknowledges an event before its turn runs (a
failed turn was lost with Slack told all was well) and drops some retries by
their reason header; here the turn runs before the answer (tens of
milliseconds, well inside Slack's 3 seconds), a failed one is a 503 that Slack
retries, and a retry of an event already handled, by its `event_id`, is
acknowledged without a second answer (channels/deliveries.py).
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from channels._verify import require
from channels.answer_buttons import with_answer_buttons
from channels.deliveries import guard_deliveries, reraise_as_retryable
from channels.namespaces import in_namespace
from channels.text import with_clean_text


class SecureSlackBot(SlackBot):
    def __init__(self, token: Text, slack_channel: Optional[Text] = None,
                 thread_id: Optional[Text] = None, proxy: Optional[Text] = None,
                 api_base_url: Optional[Text] = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_base_url:
            self.client = AsyncWebClient(token, proxy=proxy,
                                         base_url=api_base_url.rstrip("/") + "/")

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # a catalogue answer gets its source and "was this helpful?" buttons
        await super().send_response(recipient_id, with_answer_buttons(message))


class SecureSlackInput(SlackInput):
    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        require("slack", credentials, ["slack_token", "slack_signing_secret"])
        channel = cls(
            credentials["slack_token"], credentials.get("slack_channel"), credentials.get("proxy"),
            credentials.get("slack_retry_reason_header", "x-slack-retry-reason"),
            credentials.get("slack_retry_number_header", "x-slack-retry-num"),
            credentials.get("errors_ignore_retry"), credentials.get("use_threads", False),
            credentials["slack_signing_secret"],
            credentials.get("conversation_granularity", "sender"))
        channel.api_base_url = credentials.get("api_base_url")
        return channel

    api_base_url: Optional[Text] = None

    def get_output_channel(self, channel: Optional[Text] = None,
                           thread_id: Optional[Text] = None) -> OutputChannel:
        return SecureSlackBot(self.slack_token, channel or self.slack_channel, thread_id,
                              self.proxy, self.api_base_url)

    async def process_message(self, request: Request,
                              on_new_message: Callable[[UserMessage], Awaitable[Any]],
                              text: Text, sender_id: Optional[Text],
                              metadata: Optional[Dict]) -> HTTPResponse:
        metadata = metadata or {}
        thread_id = metadata.get("thread_id") if self.use_threads else None
        turn = reraise_as_retryable(in_namespace("slack", with_clean_text(on_new_message)))
        await turn(UserMessage(
            text, self.get_output_channel(metadata.get("out_channel"), thread_id), sender_id,
            input_channel=self.name(), metadata=metadata))
        return response.text("")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = super().blueprint(on_new_message)
        guard_deliveries(slack_webhook, "slack", self.signed_delivery_id)
        return slack_webhook

    def signed_delivery_id(self, request: Request) -> Optional[str]:
        """The event's id (a button press: its trigger id), only on a request Slack signed,
        so nobody else can claim an id first."""
        if not self.is_request_from_slack_authentic(request):
            return None
        if request.headers.get("content-type") == "application/json":
            body = request.json if isinstance(request.json, dict) else {}
            return body.get("event_id") if isinstance(body.get("event_id"), str) else None
        try:
            payload = json.loads(request.form.get("payload") or "{}")
        except ValueError:
            return None
        trigger = payload.get("trigger_id") if isinstance(payload, dict) else None
        return trigger if isinstance(trigger, str) else None
