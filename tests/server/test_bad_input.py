"""Bad input gets a clear reply or a clear HTTP error, and the conversation goes on."""
from __future__ import annotations

import pytest
import requests

from tests.server.conftest import new_sender

pytestmark = pytest.mark.server


def conversation_goes_on(assistant, sender: str) -> None:
    replies = assistant.replies(sender, "What is kyphoplasty?")
    assert replies and "Kyphoplasty" in replies[0]["text"]
    assert "utter_about/what_is" in assistant.bot_actions(sender)


@pytest.mark.parametrize("message, status, reason", [
    ("", 400, "empty"),
    ("   \n\t  ", 400, "empty"),
    ("\u200b\u200b", 400, "empty"),
    ("x" * 20_000, 413, "longer than"),
    (12345, 400, "must be text"),
    (None, 400, "must be text"),
    ({"text": "hi"}, 400, "must be text"),
])
def test_unusable_messages_get_a_clear_http_error(assistant, message, status, reason):
    sender = new_sender()
    response = assistant.send(sender, message)
    assert response.status_code == status
    assert reason in response.text
    conversation_goes_on(assistant, sender)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"just a string"', b""])
def test_malformed_bodies_get_400(assistant, body):
    response = requests.post(f"{assistant.url}/webhooks/rest/webhook", data=body,
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400


def test_a_missing_sender_does_not_fall_into_a_shared_conversation(assistant):
    response = requests.post(f"{assistant.url}/webhooks/rest/webhook", json={"message": "hi"}, timeout=30)
    assert response.status_code == 400 and "sender" in response.text


@pytest.mark.parametrize("message", [
    "🙂🙂🙂",
    "¿Qué es la cifoplastia y cuánto dura la recuperación?",
    "<script>alert('x')</script> what is kyphoplasty",
    "Ｗｈａｔ ｉｓ ｋｙｐｈｏｐｌａｓｔｙ？",
    "what\u0000 is\u0007 kyphoplasty",
    "x" * 3_999,
])
def test_odd_but_usable_messages_get_a_reply(assistant, message):
    sender = new_sender()
    replies = assistant.replies(sender, message)
    assert replies and all(r.get("text") for r in replies)
    assert "<script>" not in " ".join(r["text"] for r in replies)  # nothing echoed back
    conversation_goes_on(assistant, sender)


def test_script_text_is_answered_as_a_question_not_executed(assistant):
    sender = new_sender()
    replies = assistant.replies(sender, "<script>alert(1)</script> what is kyphoplasty")
    assert assistant.bot_actions(sender)[0] == "utter_about/what_is"
    assert replies[0]["text"].startswith("Kyphoplasty is")
