"""Forget me on the platforms (stand-ins): asked, confirmed with the platform's own
buttons (Telegram's inline keyboard, Twilio's numbered reply), and nothing of the
conversation left in the database afterwards."""
from __future__ import annotations

import json
import random
import sqlite3

import pytest

from tests.channels import payloads
from tests.channels.stack import Stack
from tests.channels.test_platforms import (RECOVERY, bot_actions, sign, telegram_post, telegram_sent, twilio_post,
                                           twilio_sent)

pytestmark = pytest.mark.server


def stored(stack: Stack, sender: str) -> dict:
    """Rows naming the conversation, per table (every table with a conversation column),
    in Rasa's conversations file and the project's own database."""
    found = {}
    for database in (stack.conversations_db, stack.work / "assistant.db"):
        with sqlite3.connect(database) as connection:
            tables = [row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")]
            for table in tables:
                columns = [row[1] for row in connection.execute(f"pragma table_info('{table}')")]
                for column in ("sender_id", "conversation_id"):
                    if column in columns:
                        rows = connection.execute(f"select * from '{table}' where {column} = ?",
                                                  (sender,)).fetchall()
                        if rows:
                            found[table] = rows
    return found


def assert_only_the_confirmation_left(stack: Stack, sender: str) -> None:
    assert bot_actions(stack, sender) == ["utter_forget_me_done"]
    left = stored(stack, sender)
    assert set(left) == {"events"}
    assert "user" not in [row[2] for row in left["events"]]  # events: id, sender_id, type_name, ...
    assert "recovery" not in json.dumps(left["events"]).lower()  # the question asked before


def test_telegram_forget_me_with_the_inline_keyboard(stack):
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    assert telegram_post(stack, payloads.telegram_message(chat, RECOVERY), secret).status_code == 200
    telegram_sent(stack, chat)
    assert telegram_post(stack, payloads.telegram_message(chat, "please delete my chat"), secret).status_code == 200
    sent = stack.standin.wait_for(lambda c: c["platform"] == "telegram" and c["method"] == "sendmessage"
                                  and c.params.get("chat_id") == str(chat) and "/affirm" in c.params.get("reply_markup", ""))
    keyboard = json.loads(sent[-1].params["reply_markup"])["inline_keyboard"]
    assert {b["callback_data"] for row in keyboard for b in row} == {"/affirm", "/deny"}
    before = len(telegram_sent(stack, chat))
    assert telegram_post(stack, payloads.telegram_button(chat, "/affirm"), secret).status_code == 200
    assert len(telegram_sent(stack, chat, before + 1)) > before
    assert_only_the_confirmation_left(stack, f"telegram:{chat}")


def test_twilio_forget_me_with_a_numbered_reply(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    sid = stack.env["TWILIO_ACCOUNT_SID"]
    sent: list = []
    for number, text in enumerate([RECOVERY, "forget me"]):
        form = payloads.twilio_sms(sid, sender, "+15005550006", text, sid=f"SMF{number}{sender[-7:]}")
        assert twilio_post(stack, form, sign(stack, form)).status_code == 204
        sent = twilio_sent(stack, sender, len(sent) + 1)
    assert "utter_confirm_forget_me" == bot_actions(stack, f"twilio:{sender}")[-1]
    assert sent[-1].params["Body"].endswith("Reply 1 for Yes, delete it, 2 for No, keep it.")
    reply = payloads.twilio_sms(sid, sender, "+15005550006", "1", sid=f"SMF9{sender[-7:]}")
    assert twilio_post(stack, reply, sign(stack, reply)).status_code == 204
    assert len(twilio_sent(stack, sender, len(sent) + 1)) > len(sent)
    assert_only_the_confirmation_left(stack, f"twilio:{sender}")
