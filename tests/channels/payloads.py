"""Webhook payloads in each platform's documented format, and their signatures."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Dict, Optional, Tuple

from twilio.request_validator import RequestValidator


# Platforms give every delivery its own id and repeat it only when they redeliver.
_update_ids = itertools.count(secrets.randbelow(10**8) + 10**8)


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def telegram_message(chat_id: int, text: str, update_id: Optional[int] = None) -> dict:
    """An Update with a private-chat text message (core.telegram.org/bots/webhooks, 'Testing')."""
    update_id = next(_update_ids) if update_id is None else update_id
    user = {"id": chat_id, "is_bot": False, "first_name": "Test Firstname",
            "last_name": "Test Lastname", "username": "Testusername", "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": 1365, "from": user, "date": 1441645532, "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "Test Firstname",
                 "last_name": "Test Lastname", "username": "Testusername"}}}


def telegram_button(chat_id: int, data: str, update_id: Optional[int] = None) -> dict:
    """An Update with a callback_query: the user pressed an inline keyboard button."""
    update_id = next(_update_ids) if update_id is None else update_id
    user = {"id": chat_id, "is_bot": False, "first_name": "Test Firstname"}
    return {"update_id": update_id, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": user, "chat_instance": "-6157519487417856823",
        "data": data, "message": {"message_id": 1366, "date": 1441645532, "text": "question",
                                  "chat": {"id": chat_id, "type": "private"},
                                  "from": {"id": 1234567890, "is_bot": True, "first_name": "Bot"}}}}


def twilio_sms(account_sid: str, sender: str, to: str, body: str, sid: Optional[str] = None) -> Dict[str, str]:
    """An incoming-message webhook POST (twilio.com/docs/messaging/guides/webhook-request)."""
    sid = sid or new_sid()
    return {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0",
            "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": sid, "FromState": "CA",
            "SmsStatus": "received", "FromCity": "SAN FRANCISCO", "Body": body, "FromCountry": "US",
            "To": to, "ToZip": "94105", "NumSegments": "1", "MessageSid": sid,
            "AccountSid": account_sid, "From": sender, "ApiVersion": "2010-04-01"}


def twilio_whatsapp(account_sid: str, sender: str, to: str, body: str,
                    sid: Optional[str] = None) -> Dict[str, str]:
    """The same webhook for WhatsApp: numbers prefixed `whatsapp:`, plus profile fields."""
    sid = sid or new_sid()
    return {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Pat", "MessageType": "text",
            "SmsSid": sid, "WaId": sender.split("+")[-1], "SmsStatus": "received", "Body": body,
            "To": to, "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": sid,
            "AccountSid": account_sid, "From": sender, "ApiVersion": "2010-04-01"}


def twilio_signature(auth_token: str, url: str, form: Dict[str, str]) -> str:
    return RequestValidator(auth_token).compute_signature(url, form)


def slack_event(user: str, channel: str, text: str, ts: str = "1355517523.000005",
                event_id: Optional[str] = None) -> dict:
    """An Events API `event_callback` with a direct message (api.slack.com/events/message.im)."""
    event_id = event_id or "Ev" + secrets.token_hex(5).upper()
    return {"token": "XXYYZZ", "team_id": "T061EG9R6", "api_app_id": "A0PNCHHK2",
            "event": {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
                      "event_ts": ts, "channel_type": "im"},
            "type": "event_callback", "event_id": event_id, "event_time": 1355517523,
            "authorizations": [{"enterprise_id": None, "team_id": "T061EG9R6", "user_id": "U0BOT",
                                "is_bot": True}]}


def slack_button_click(user: str, channel: str, value: str) -> dict:
    """A `block_actions` interaction payload for a button (api.slack.com/reference/interaction-payloads)."""
    return {"type": "block_actions", "user": {"id": user, "username": "pat", "team_id": "T061EG9R6"},
            "api_app_id": "A0PNCHHK2", "token": "XXYYZZ", "container": {"type": "message"},
            "trigger_id": f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**10)}", "team": {"id": "T061EG9R6", "domain": "clinic"},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": "1548261231.000200", "text": "question"},
            "actions": [{"type": "button", "block_id": "b1", "action_id": "a1", "value": value,
                         "text": {"type": "plain_text", "text": "Yes"}, "action_ts": "1548426417.840180"}]}


def slack_headers(signing_secret: str, body: bytes, content_type: str,
                  timestamp: int | None = None) -> Dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(signing_secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}"}


def json_body(data: dict) -> bytes:
    return json.dumps(data).encode()


def slack_form_body(payload: dict) -> Tuple[bytes, str]:
    from urllib.parse import urlencode
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
