"""Each platform delivery answered once; a turn that failed is a non-2xx the
platform resends (channels/deliveries.py), through the running server.

Telegram resends an update, Twilio a message and Slack an event (with
`X-Slack-Retry-Num`) under the id it had the first time. Rasa's connectors
processed and answered every copy, and answered success for a turn that was
never stored.
"""
from __future__ import annotations

import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from tests.channels import payloads
from tests.channels.stack import Stack
from tests.channels.test_platforms import (RECOVERY, bot_actions, sign, slack_post, slack_sent, telegram_post,
                                           telegram_sent, twilio_post, twilio_sent)

pytestmark = pytest.mark.server

LOCK_SECONDS = 5  # the stack's tracker store gives up after 2 (TRACKER_STORE_RETRY_SECONDS)


def user_texts(stack: Stack, sender: str) -> list:
    return [e["text"] for e in stack.tracker(quote(sender, safe="+:"))["events"] if e["event"] == "user"]


def conversations_locked(stack: Stack, taken: threading.Event) -> None:
    connection = sqlite3.connect(stack.conversations_db, timeout=30, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    taken.set()
    time.sleep(LOCK_SECONDS)
    connection.execute("COMMIT")
    connection.close()


def while_conversations_locked(stack: Stack, send):
    taken = threading.Event()
    locker = threading.Thread(target=conversations_locked, args=(stack, taken))
    locker.start()
    assert taken.wait(10)
    try:
        return send()
    finally:
        locker.join()


# ---------------------------------------------------------------- Telegram
def test_telegram_resent_update_is_answered_and_stored_once(stack):
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    update = payloads.telegram_message(chat, RECOVERY)
    assert telegram_post(stack, update, secret).status_code == 200
    assert telegram_sent(stack, chat)
    time.sleep(1)
    answered = len(telegram_sent(stack, chat))
    for _ in range(2):  # Telegram resends with the same update_id
        assert telegram_post(stack, update, secret).status_code == 200
    assert len(telegram_sent(stack, chat, answered + 1, timeout=2)) == answered
    assert user_texts(stack, f"telegram:{chat}") == [RECOVERY]


def test_telegram_copies_arriving_together_are_answered_once(stack):
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    update = payloads.telegram_message(chat, RECOVERY)
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: telegram_post(stack, update, secret).status_code, range(4)))
    assert set(statuses) <= {200, 503} and 200 in statuses, statuses
    assert telegram_sent(stack, chat)
    time.sleep(1)
    assert user_texts(stack, f"telegram:{chat}") == [RECOVERY]


def test_telegram_failed_turn_is_a_503_and_the_resent_update_is_then_answered(stack):
    chat = random.randint(10**6, 10**7)
    secret = stack.env["TELEGRAM_SECRET_TOKEN"]
    update = payloads.telegram_message(chat, RECOVERY)
    response = while_conversations_locked(stack, lambda: telegram_post(stack, update, secret))
    assert response.status_code == 503, "Rasa answered 'success' here and the update was lost"
    assert telegram_post(stack, update, secret).status_code == 200  # Telegram's redelivery
    assert telegram_sent(stack, chat)
    assert user_texts(stack, f"telegram:{chat}") == [RECOVERY]
    assert "utter_recovery/timeline" in bot_actions(stack, f"telegram:{chat}")


# ---------------------------------------------------------------- Twilio
def test_twilio_resent_message_is_answered_and_stored_once(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    form = payloads.twilio_sms(stack.env["TWILIO_ACCOUNT_SID"], sender, "+15005550006", RECOVERY)
    assert twilio_post(stack, form, sign(stack, form)).status_code == 204
    assert twilio_sent(stack, sender)
    time.sleep(1)
    answered = len(twilio_sent(stack, sender))
    assert twilio_post(stack, form, sign(stack, form)).status_code == 200
    assert len(twilio_sent(stack, sender, answered + 1, timeout=2)) == answered
    assert user_texts(stack, f"twilio:{sender}") == [RECOVERY]


def test_twilio_failed_turn_is_a_503_then_the_retry_is_answered(stack):
    sender = f"+1415{random.randint(10**6, 10**7 - 1)}"
    form = payloads.twilio_sms(stack.env["TWILIO_ACCOUNT_SID"], sender, "+15005550006", RECOVERY)
    response = while_conversations_locked(stack, lambda: twilio_post(stack, form, sign(stack, form)))
    assert response.status_code == 503, "Rasa answered 204 here and the message was lost"
    assert twilio_post(stack, form, sign(stack, form)).status_code == 204
    assert twilio_sent(stack, sender)
    assert user_texts(stack, f"twilio:{sender}") == [RECOVERY]


# ---------------------------------------------------------------- Slack
def test_slack_retried_event_is_answered_and_stored_once(stack):
    user, channel = f"U{random.randint(10**6, 10**7)}", f"D{random.randint(10**6, 10**7)}"
    body = payloads.json_body(payloads.slack_event(user, channel, RECOVERY))
    secret = stack.env["SLACK_SIGNING_SECRET"]
    assert slack_post(stack, body, payloads.slack_headers(secret, body, "application/json")).status_code == 200
    assert slack_sent(stack, channel)
    time.sleep(1)
    answered = len(slack_sent(stack, channel))
    for number, reason in [(1, "http_timeout"), (2, "http_error")]:
        headers = {**payloads.slack_headers(secret, body, "application/json"),
                   "X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason}
        assert slack_post(stack, body, headers).status_code == 200
    assert len(slack_sent(stack, channel, answered + 1, timeout=2)) == answered
    assert user_texts(stack, f"slack:{user}") == [RECOVERY]


def test_slack_failed_turn_is_a_503_not_an_acknowledgement(stack):
    user, channel = f"U{random.randint(10**6, 10**7)}", f"D{random.randint(10**6, 10**7)}"
    body = payloads.json_body(payloads.slack_event(user, channel, RECOVERY))
    secret = stack.env["SLACK_SIGNING_SECRET"]
    response = while_conversations_locked(
        stack, lambda: slack_post(stack, body, payloads.slack_headers(secret, body, "application/json")))
    assert response.status_code == 503, "Rasa acknowledged before the turn ran; a failed one was lost"
    retry = {**payloads.slack_headers(secret, body, "application/json"),
             "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert slack_post(stack, body, retry).status_code == 200
    assert slack_sent(stack, channel)
    assert user_texts(stack, f"slack:{user}") == [RECOVERY]


def test_an_unsigned_request_cannot_claim_a_delivery_id_first(stack):
    user, channel = f"U{random.randint(10**6, 10**7)}", f"D{random.randint(10**6, 10**7)}"
    body = payloads.json_body(payloads.slack_event(user, channel, RECOVERY))
    forged = {**payloads.slack_headers("not-the-secret", body, "application/json")}
    assert slack_post(stack, body, forged).status_code == 400
    secret = stack.env["SLACK_SIGNING_SECRET"]
    assert slack_post(stack, body, payloads.slack_headers(secret, body, "application/json")).status_code == 200
    assert slack_sent(stack, channel)
