"""Telegram, Twilio (SMS, WhatsApp) and Slack webhooks against the running server.

Real-format payloads are posted to Rasa; signed ones are answered, unsigned or
tampered ones refused; replies are caught by the loopback stand-in.
"""
from __future__ import annotations

import json
import random
from urllib.parse import quote

import pytest
import requests

from tests.channels import payloads
from tests.channels.stack import PUBLIC_BASE, Stack

pytestmark = pytest.mark.server

RECOVERY = "How long does recovery take after kyphoplasty?"
SCREENING = "Could kyphoplasty help me with my compression fracture?"


def bot_actions(stack: Stack, sender: str) -> list:
    """utter_action of each reply in conversation `sender` (platform ids are namespaced:
    telegram:<chat>, twilio:<number>, slack:<user>; channels/namespaces.py)."""
    events = stack.tracker(quote(sender, safe="+:"))["events"]
    return [e.get("metadata", {}).get("utter_action") for e in events if e["event"] == "bot"]


# ---------------------------------------------------------------- Telegram
def telegram_post(stack: Stack, update: dict, secret: str | None) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return requests.post(stack.webhook("telegram"), json=update, headers=headers, timeout=60)


def telegram_sent(stack: Stack, chat_id: int, count: int = 1, timeout: float = 60) -> list:
    return stack.standin.wait_for(lambda c: c["platform"] == "telegram" and c["method"] == "sendmessage"
                                  and c.params.get("chat_id") == str(chat_id), count, timeout)


def test_telegram_webhook_was_set_with_the_secret_token(stack):
    calls = stack.standin.wait_for(lambda c: c["method"] == "setwebhook")
    assert calls and calls[0].params["secret_token"] == stack.env["TELEGRAM_SECRET_TOKEN"]
    assert calls[0].params["url"] == stack.env["TELEGRAM_WEBHOOK_URL"]


def test_telegram_refuses_unsigned_and_wrongly_signed_updates(stack):
    chat = random.randint(10**6, 10**7)
    assert telegram_post(stack, payloads.telegram_message(chat, RECOVERY), None).status_code == 401
    assert telegram_post(stack, payloads.telegram_message(chat, RECOVERY), "wrong-secret-0000").status_code == 403
    assert not stack.standin.wait_for(lambda c: c.params.get("chat_id") == str(chat), timeout=2)


def test_telegram_signed_update_gets_the_catalogue_answer(stack):
    chat = random.randint(10**6, 10**7)
    response = telegram_post(stack, payloads.telegram_message(chat, RECOVERY),
                             stack.env["TELEGRAM_SECRET_TOKEN"])
    assert response.status_code == 200
    assert telegram_sent(stack, chat), "no sendMessage reached the stand-in"
    assert "utter_recovery/timeline" in bot_actions(stack, f"telegram:{chat}")


def test_telegram_buttons_are_an_inline_keyboard_and_a_press_answers(stack):
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    assert telegram_post(stack, payloads.telegram_message(chat, SCREENING), secret).status_code == 200
    sent = telegram_sent(stack, chat)
    keyboard = json.loads(sent[-1].params["reply_markup"])["inline_keyboard"]
    buttons = [button for row in keyboard for button in row]
    assert {b["callback_data"] for b in buttons} == {"/affirm", "/deny"}
    before = len(sent)
    assert telegram_post(stack, payloads.telegram_button(chat, "/affirm"), secret).status_code == 200
    after = telegram_sent(stack, chat, before + 1)
    assert len(after) > before
    assert stack.standin.wait_for(lambda c: c["method"] == "answercallbackquery")
    assert "utter_ask_warning_signs" in bot_actions(stack, f"telegram:{chat}")


# ---------------------------------------------------------------- Twilio
TWILIO_URL = f"{PUBLIC_BASE}/webhooks/twilio/webhook"


def twilio_post(stack: Stack, form: dict, signature: str | None) -> requests.Response:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return requests.post(stack.webhook("twilio"), data=form, headers=headers, timeout=60)


def twilio_sent(stack: Stack, to: str, count: int = 1, timeout: float = 60) -> list:
    return stack.standin.wait_for(lambda c: c["platform"] == "twilio" and c.params.get("To") == to,
                                  count, timeout)


def sign(stack: Stack, form: dict) -> str:
    return payloads.twilio_signature(stack.env["TWILIO_AUTH_TOKEN"], TWILIO_URL, form)


def test_twilio_refuses_unsigned_tampered_and_wrong_url_calls(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    form = payloads.twilio_sms(stack.env["TWILIO_ACCOUNT_SID"], sender, "+15005550006", RECOVERY)
    assert twilio_post(stack, form, None).status_code == 403
    signature = sign(stack, form)
    assert twilio_post(stack, {**form, "Body": "tampered"}, signature).status_code == 403
    wrong_url = payloads.twilio_signature(stack.env["TWILIO_AUTH_TOKEN"], stack.webhook("twilio"), form)
    assert twilio_post(stack, form, wrong_url).status_code == 403  # signed for another URL
    assert not twilio_sent(stack, sender, timeout=2)


def test_twilio_sms_signed_gets_the_answer_from_our_number(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    form = payloads.twilio_sms(stack.env["TWILIO_ACCOUNT_SID"], sender, "+15005550006", RECOVERY)
    assert twilio_post(stack, form, sign(stack, form)).status_code == 204
    sent = twilio_sent(stack, sender)
    assert sent and sent[0].params["From"] == "+15005550006"
    assert "utter_recovery/timeline" in bot_actions(stack, f"twilio:{sender}")


def test_twilio_buttons_are_numbered_and_a_number_answers(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    sid = stack.env["TWILIO_ACCOUNT_SID"]
    form = payloads.twilio_sms(sid, sender, "+15005550006", SCREENING, sid="SM10")
    assert twilio_post(stack, form, sign(stack, form)).status_code == 204
    sent = twilio_sent(stack, sender)
    assert sent[-1].params["Body"].endswith("Reply 1 for Yes, let's start, 2 for Not now.")
    reply = payloads.twilio_sms(sid, sender, "+15005550006", "1", sid="SM11")
    assert twilio_post(stack, reply, sign(stack, reply)).status_code == 204
    assert len(twilio_sent(stack, sender, len(sent) + 1)) > len(sent)
    assert "utter_ask_warning_signs" in bot_actions(stack, f"twilio:{sender}")
    assert "Reply 1 for Yes, 2 for No, 3 for Not sure." in twilio_sent(stack, sender, len(sent) + 1)[-1].params["Body"]


def test_whatsapp_uses_the_same_webhook_and_answers_from_the_whatsapp_number(stack):
    sender = f"whatsapp:+1415{random.randint(10**6, 10**7 - 1)}"
    form = payloads.twilio_whatsapp(stack.env["TWILIO_ACCOUNT_SID"], sender,
                                    "whatsapp:+14155238886", RECOVERY)
    assert twilio_post(stack, {**form, "Body": "x"}, sign(stack, form)).status_code == 403
    assert twilio_post(stack, form, sign(stack, form)).status_code == 204
    sent = twilio_sent(stack, sender)
    assert sent and sent[0].params["From"] == "whatsapp:+14155238886"


# ---------------------------------------------------------------- Slack
def slack_post(stack: Stack, body: bytes, headers: dict) -> requests.Response:
    return requests.post(stack.webhook("slack"), data=body, headers=headers, timeout=60)


def slack_sent(stack: Stack, channel: str, count: int = 1, timeout: float = 60) -> list:
    return stack.standin.wait_for(
        lambda c: c["platform"] == "slack" and c.params.get("channel") == channel, count, timeout)


def test_slack_refuses_bad_signatures_and_old_timestamps(stack):
    channel = f"D{random.randint(10**8, 10**9)}"
    body = payloads.json_body(payloads.slack_event("U1", channel, RECOVERY))
    secret = stack.env["SLACK_SIGNING_SECRET"]
    headers = payloads.slack_headers(secret, body, "application/json")
    assert slack_post(stack, body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64}).status_code == 400
    assert slack_post(stack, body.replace(b"recovery", b"recoverx"), headers).status_code == 400
    replay = payloads.slack_headers(secret, body, "application/json", timestamp=1_000_000)
    assert slack_post(stack, body, replay).status_code == 400
    assert not slack_sent(stack, channel, timeout=2)


def test_slack_signed_message_gets_an_answer_and_buttons_are_native(stack):
    user, channel = f"U{random.randint(10**8, 10**9)}", f"D{random.randint(10**8, 10**9)}"
    secret = stack.env["SLACK_SIGNING_SECRET"]
    body = payloads.json_body(payloads.slack_event(user, channel, RECOVERY))
    assert slack_post(stack, body, payloads.slack_headers(secret, body, "application/json")).status_code == 200
    assert slack_sent(stack, channel)
    body = payloads.json_body(payloads.slack_event(user, channel, SCREENING, ts="1355517524.000001"))
    assert slack_post(stack, body, payloads.slack_headers(secret, body, "application/json")).status_code == 200
    with_buttons = stack.standin.wait_for(  # the checklist's question (the answer before has its own buttons)
        lambda c: c["platform"] == "slack" and c.params.get("channel") == channel
        and "/affirm" in str(c.params.get("blocks")))
    blocks = with_buttons[0].params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == ["/affirm", "/deny"]
    before = len(slack_sent(stack, channel, 2))
    form_body, content_type = payloads.slack_form_body(payloads.slack_button_click(user, channel, "/affirm"))
    assert slack_post(stack, form_body, payloads.slack_headers(secret, form_body, content_type)).status_code == 200
    assert len(slack_sent(stack, channel, before + 1)) > before
    assert "utter_ask_warning_signs" in bot_actions(stack, f"slack:{user}")


# ---------------------------------------------------------------- namespaces
def test_rest_cannot_reach_a_platform_conversation(stack):
    """Telegram's chat, an SMS number and a Slack user are conversations of their
    own channel: REST refuses their namespaced ids, and a REST message with the
    platform's bare id is a separate conversation that leaves theirs untouched."""
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    assert telegram_post(stack, payloads.telegram_message(chat, RECOVERY), secret).status_code == 200
    assert telegram_sent(stack, chat)
    rest = f"{stack.rasa_url}/webhooks/rest/webhook"
    for forged in (f"telegram:{chat}", "twilio:+14155550123", "twilio:whatsapp:+14155550123",
                   "slack:U0123", "web-0123abcd", "Telegram:1"):
        response = requests.post(rest, json={"sender": forged, "message": "/restart"}, timeout=30)
        assert response.status_code == 400 and "another channel" in response.text, forged
    assert requests.post(rest, json={"sender": str(chat), "message": "/restart"}, timeout=30).status_code == 200
    events = stack.tracker(f"telegram:{chat}")["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [RECOVERY]
    assert not any(e["event"] == "restart" for e in events)


def test_platform_text_is_cleaned_as_on_rest(stack):
    chat = random.randint(10**6, 10**7)
    hidden = "How long does\u202e recovery\u2066 take after\U000e0041 kyphoplasty?\u200b"
    assert telegram_post(stack, payloads.telegram_message(chat, hidden),
                         stack.env["TELEGRAM_SECRET_TOKEN"]).status_code == 200
    assert telegram_sent(stack, chat)
    events = stack.tracker(f"telegram:{chat}")["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [RECOVERY]
