"""The REST channel: what once crashed a turn, was logged whole and answered
`200 []` now gets a clear answer, and a failed turn is a 503 to retry."""
from __future__ import annotations

import json

import pytest
import requests

from tests.server.conftest import new_sender

pytestmark = pytest.mark.server
SECRET = "zebra-kettle-7731"  # a word that must never reach a log


def post(assistant, body, **params) -> requests.Response:
    return requests.post(f"{assistant.url}/webhooks/rest/webhook", params=params,
                         data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=30)


def rasa_log(assistant) -> str:
    return (assistant.logs / "rasa.log").read_text(errors="replace")


@pytest.mark.parametrize("metadata", ["a string", ["a", "list"], 42])
def test_metadata_that_is_not_an_object_is_a_400_and_nothing_is_logged(assistant, metadata):
    response = post(assistant, {"sender": new_sender(), "message": f"hello {SECRET}", "metadata": metadata})
    assert response.status_code == 400 and "metadata" in response.text
    assert SECRET not in rasa_log(assistant)


def test_huge_metadata_is_refused_and_unknown_keys_are_not_stored(assistant):
    sender = new_sender()
    response = post(assistant, {"sender": sender, "message": "hi", "metadata": {"x": "y" * 5000}})
    assert response.status_code == 413
    response = post(assistant, {"sender": sender, "message": "hi", "metadata": {"tracking": SECRET}})
    assert response.status_code == 200 and response.json()
    assert SECRET not in json.dumps(assistant.tracker(sender))


def test_a_lone_surrogate_or_hidden_characters_are_cleaned_and_answered(assistant):
    sender = new_sender()
    text = f"what is kyphoplasty \ud800 {SECRET}\u202e\U000e0041\u2066"
    response = requests.post(f"{assistant.url}/webhooks/rest/webhook",
                             data=json.dumps({"sender": sender, "message": text}),  # \\ud800 escaped
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 200 and response.json()
    stored = [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"]
    assert stored == [f"what is kyphoplasty  {SECRET}"]
    assert SECRET not in rasa_log(assistant)


def test_streaming_is_refused_at_once_instead_of_held_open(assistant):
    response = post(assistant, {"sender": new_sender(), "message": "hello"}, stream="true")
    assert response.status_code == 400


def test_a_slash_message_that_is_no_intent_gets_a_reply_and_is_not_logged(assistant):
    response = post(assistant, {"sender": new_sender(), "message": f"/notanintent {SECRET}"})
    assert response.status_code == 200 and response.json()
    assert SECRET not in rasa_log(assistant)


@pytest.mark.parametrize("sender", ["patient-1\n", "telegram:12345", "twilio:+14155550123", "slack:U0123",
                                    "web-3f2a9c", "x" * 129])
def test_ids_of_other_channels_or_with_a_trailing_newline_are_refused(assistant, sender):
    response = post(assistant, {"sender": sender, "message": "what is kyphoplasty?"})
    assert response.status_code == 400, response.text


def test_plain_ids_still_name_their_conversation(assistant):
    """The catalogue contract: a REST message from sender X is read at /conversations/X/tracker."""
    for sender in (new_sender(), f"eval:{new_sender()}", "12345678901"):
        assert post(assistant, {"sender": sender, "message": "what is kyphoplasty?"}).status_code == 200
        assert assistant.bot_actions(sender)[0] == "utter_about/what_is"


def test_with_rest_token_set_a_request_without_it_is_refused(tmp_path):
    from channels.credentials import write as write_credentials
    from tests.support.assistant_stack import start_assistant

    token = "rest-" + new_sender()
    credentials = tmp_path / "credentials.yml"
    write_credentials(credentials, {"REST_TOKEN": token, "WIDGET_ALLOWED_ORIGINS": "http://127.0.0.1:9"})
    stack = start_assistant(tmp_path, extra_env={"REST_TOKEN": token, "WIDGET_SECRET": "w" * 48},
                            credentials=credentials)
    assistant = next(stack)
    try:
        sender = new_sender()
        assert post(assistant, {"sender": sender, "message": "hello"}).status_code == 401
        wrong = requests.post(f"{assistant.url}/webhooks/rest/webhook", json={"sender": sender, "message": "hi"},
                              headers={"Authorization": "Bearer nope"}, timeout=30)
        assert wrong.status_code == 401
        right = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=30,
                              json={"sender": sender, "message": "what is kyphoplasty?"},
                              headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200 and right.json()
    finally:
        stack.close()
