"""The source and "was this helpful?" on the platforms (stand-ins): buttons under
every catalogue answer on Telegram and Slack, typed requests on SMS, each tap
stored once for the answer it sits under."""
from __future__ import annotations

import json
import random
import sqlite3

import pytest
import yaml

from tests.channels import payloads
from tests.channels.stack import Stack
from tests.channels.test_platforms import (RECOVERY, bot_actions, sign, slack_post, slack_sent, telegram_post,
                                           telegram_sent, twilio_post, twilio_sent)
from tests.project import RESPONSES_FILE

pytestmark = pytest.mark.server

RECOVERY_SOURCE = yaml.safe_load(RESPONSES_FILE.read_text())["responses"]["utter_recovery/timeline"][0][
    "metadata"]["source"][0]


def feedback_rows(stack: Stack, sender: str) -> list:
    with sqlite3.connect(stack.work / "assistant.db") as connection:  # the project's tables
        return connection.execute("select answer_id, helpful, channel from feedback where conversation_id = ?",
                                  (sender,)).fetchall()


def test_telegram_answer_has_source_and_feedback_buttons_that_work(stack):
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    assert telegram_post(stack, payloads.telegram_message(chat, RECOVERY), secret).status_code == 200
    first = telegram_sent(stack, chat, 2)  # the answer, then the first message's disclaimer
    answer = first[0]
    keyboard = json.loads(answer.params["reply_markup"])["inline_keyboard"]
    buttons = {b["text"]: b["callback_data"] for row in keyboard for b in row}
    assert list(buttons) == ["Where this comes from", "Helpful", "Not helpful"]
    assert all(len(data.encode()) <= 64 for data in buttons.values())  # Telegram's limit

    assert telegram_post(stack, payloads.telegram_button(chat, buttons["Where this comes from"]),
                         secret).status_code == 200
    sent = telegram_sent(stack, chat, len(first) + 1)
    assert RECOVERY_SOURCE in sent[-1].params["text"], [(e.get("text"), e.get("parse_data", {}).get("intent")) for e in stack.tracker(f"telegram:{chat}")["events"] if e["event"] == "user"]
    assert sent[-1].params["text"].startswith("This is from ")

    for _ in range(2):  # a second tap on the same answer changes nothing
        assert telegram_post(stack, payloads.telegram_button(chat, buttons["Not helpful"]),
                             secret).status_code == 200
    telegram_sent(stack, chat, len(first) + 3)
    assert bot_actions(stack, f"telegram:{chat}")[-3:] == ["utter_source", "utter_feedback_thanks",
                                                          "utter_feedback_thanks"]
    assert feedback_rows(stack, f"telegram:{chat}") == [("recovery/timeline", 0, "telegram")]


def test_sms_where_does_that_come_from_after_an_answer(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    sid = stack.env["TWILIO_ACCOUNT_SID"]
    sent: list = []
    for number, text in enumerate([RECOVERY, "where does that come from?", "that helped"]):
        form = payloads.twilio_sms(sid, sender, "+15005550006", text, sid=f"SMS{number}{sender[-7:]}")
        assert twilio_post(stack, form, sign(stack, form)).status_code == 204
        sent = twilio_sent(stack, sender, len(sent) + 1)
    bodies = [call.params["Body"] for call in sent]
    assert any(RECOVERY_SOURCE in body for body in bodies)
    assert "Reply 1" not in " ".join(bodies)  # SMS answers get no numbered feedback options
    assert bot_actions(stack, f"twilio:{sender}")[-2:] == ["utter_source", "utter_feedback_thanks"]
    assert feedback_rows(stack, f"twilio:{sender}") == [("recovery/timeline", 1, "twilio")]


def test_slack_answer_buttons_and_the_source_as_a_quote(stack):
    user, channel = f"U{random.randint(10**8, 10**9)}", f"D{random.randint(10**8, 10**9)}"
    secret = stack.env["SLACK_SIGNING_SECRET"]
    body = payloads.json_body(payloads.slack_event(user, channel, RECOVERY))
    assert slack_post(stack, body, payloads.slack_headers(secret, body, "application/json")).status_code == 200
    first = slack_sent(stack, channel, 2)  # the answer, then the first message's disclaimer
    answer = first[0]
    blocks = answer.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [v.split("{")[0] for v in values] == ["/ask_source", "/feedback", "/feedback"]
    form_body, content_type = payloads.slack_form_body(payloads.slack_button_click(user, channel, values[0]))
    assert slack_post(stack, form_body, payloads.slack_headers(secret, form_body, content_type)).status_code == 200
    quoted = slack_sent(stack, channel, len(first) + 1)[-1].params["text"]
    assert f"> {RECOVERY_SOURCE}" in quoted
