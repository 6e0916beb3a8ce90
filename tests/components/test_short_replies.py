"""A short reply is read as the answer to the question just asked."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.short_replies import ShortReplyReader, read_short_reply


@pytest.mark.parametrize("text, intent", [
    ("ys", "affirm"), ("yse", "affirm"), ("Yes!", "affirm"), ("yep", "affirm"), ("y", "affirm"),
    ("n", "deny"), ("nope", "deny"), ("nah", "deny"), ("no thanks", "deny"),
    ("dunno", "unsure"), ("idk", "unsure"), ("not sure", "unsure"), ("I'm not sure", "unsure"),
    ("3wks", "inform"), ("about 2 months ago", "inform"), ("a week ago", "inform"), ("6 weeks", "inform"),
])
def test_short_answers(text, intent):
    assert read_short_reply(text) == intent


@pytest.mark.parametrize("text", [
    "bye", "thanks", "ok", "hi", "yes on the xray", "no fever no pus just sore today",
    "what is kyphoplasty", "", "   ", "🙂",
])
def test_other_messages_are_left_to_the_classifier(text):
    assert read_short_reply(text) is None


def test_the_reader_replaces_a_chitchat_guess_and_keeps_the_ranking():
    message = Message(data={"text": "ys", "intent": {"name": "chitchat", "confidence": 0.6},
                            "intent_ranking": [{"name": "chitchat", "confidence": 0.6},
                                               {"name": "affirm", "confidence": 0.3}]})
    ShortReplyReader({}).process([message])
    assert message.get("intent") == {"name": "affirm", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["affirm", "chitchat"]


@pytest.mark.parametrize("text, current, intent", [
    ("yes it hurts a lot and I can barely walk", "recovery", "affirm"),
    ("no, none of those", "not_covered", "deny"),
    ("yes I want to talk to a person", "handoff", None),     # asked for a human
    ("no but how long is recovery?", "recovery", None),      # a question
    ("no idea what caused it", "inform", None),
    # a question asked without a question mark
    ("no swelling and no shortness of breath, I'm just curious what the cement is made of", "procedure", None),
    ("no, I was wondering how long the recovery is", "recovery", None),
])
def test_a_statement_that_opens_with_yes_or_no_answers_the_question(text, current, intent):
    from components.short_replies import read_leading_answer
    assert read_leading_answer(text, current) == intent
