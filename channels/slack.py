"""Rasa's Slack connector, with a configurable Web API base URL.

Rasa's SlackInput already checks Slack's signing secret (`X-Slack-Signature`,
HMAC-SHA256 of `v0:<timestamp>:<body>`, five-minute replay window) and refuses
a call that fails it with HTTP 400; buttons already go out as Slack's native
Block Kit buttons. This subclass only lets the Web API base URL be set (an
Enterprise Grid or a stand-in for tests) and refuses to start unsigned.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel
from rasa.core.channels.slack import SlackBot, SlackInput
from slack_sdk.web.async_client import AsyncWebClient

from channels._verify import require


class SecureSlackBot(SlackBot):
    def __init__(self, token: Text, slack_channel: Optional[Text] = None,
                 thread_id: Optional[Text] = None, proxy: Optional[Text] = None,
                 api_base_url: Optional[Text] = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_base_url:
            self.client = AsyncWebClient(token, proxy=proxy,
                                         base_url=api_base_url.rstrip("/") + "/")


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
