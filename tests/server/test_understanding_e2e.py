"""Understanding in a real conversation: checklist requests, short replies in
context, safety in context, the honest reply, over REST on a running assistant.

The phrasings are the understanding issue's own examples, not blind-set items.
"""
from __future__ import annotations

import pytest

from tests.server.conftest import new_sender

pytestmark = pytest.mark.server


def tracker_events(assistant, sender):
    return assistant.tracker(sender)["events"]


@pytest.mark.parametrize("request_text", [
    "Start the checklist", "do the screening", "I want to take the checklist", "screen me",
])
def test_the_checklist_starts_from_a_clear_request(assistant, request_text):
    sender = new_sender()
    assistant.replies(sender, request_text)
    loops = [e.get("name") for e in tracker_events(assistant, sender) if e["event"] == "active_loop"]
    assert "screening_form" in loops
    assert assistant.bot_actions(sender)[-1] == "utter_ask_screening_consent"


def test_short_replies_answer_the_question_just_asked(assistant):
    sender = new_sender()
    steps = [("start the checklist", "utter_ask_screening_consent"),
             ("ys", "utter_ask_warning_signs"),
             ("n", "utter_ask_fracture_found"),
             ("3wks", "utter_ask_fracture_cause")]
    for text, expected in steps:
        assistant.replies(sender, text)
        assert assistant.bot_actions(sender)[-1] == expected, (text, assistant.bot_actions(sender)[-4:])
    actions = assistant.bot_actions(sender)
    assert "utter_emergency" not in actions
    assert not any(a and a.startswith("utter_chitchat") for a in actions)
    slots = assistant.tracker(sender)["slots"]
    assert (slots["warning_signs"], slots["fracture_found"]) == ("no", "yes")


def test_not_sure_about_the_warning_signs_is_not_an_emergency_verdict(assistant):
    sender = new_sender()
    for text in ("start the checklist", "yes", "not sure", "dunno"):
        assistant.replies(sender, text)
    actions = assistant.bot_actions(sender)
    assert "utter_emergency" not in actions
    assert "utter_screening_warning_signs_unsure" in actions
    assert actions[-1] == "utter_ask_fracture_found"


def test_an_emergency_in_the_middle_of_the_checklist_comes_first(assistant):
    sender = new_sender()
    for text in ("start the checklist", "yes"):
        assistant.replies(sender, text)
    before = len(assistant.bot_actions(sender))
    assistant.replies(sender, "my legs went numb this morning")
    assert assistant.bot_actions(sender)[before] == "utter_emergency"


@pytest.mark.parametrize("text", [
    "ice pack or heating pad for the sore spot where they went in?",
    "when is it safe to get back out in my vegetable patch?",
    "the incision is a bit pink and itchy but no fever and no pus",
])
def test_ordinary_worries_are_not_told_to_call_911(assistant, text):
    sender = new_sender()
    assistant.replies(sender, text)
    actions = assistant.bot_actions(sender)
    assert "utter_emergency" not in actions and "utter_not_covered" in actions


@pytest.mark.parametrize("text, kind", [
    ("is the cement permanent or does it wear out over time?", "utter_not_covered"),
    ("is physical therapy needed after kyphoplasty", "utter_not_covered"),
    ("I'm allergic to contrast dye, is that a problem?", "utter_not_covered"),
    ("whats the recovery like after keyhole gallbladder removal?", "utter_out_of_scope"),
])
def test_questions_the_document_does_not_answer_get_the_honest_reply(assistant, text, kind):
    sender = new_sender()
    assistant.replies(sender, text)
    actions = assistant.bot_actions(sender)
    assert kind in actions
    assert not any(a and "/" in a and not a.startswith("utter_chitchat") for a in actions)


def test_low_mood_gets_the_kind_reply_that_points_to_the_care_team(assistant):
    sender = new_sender()
    replies = assistant.replies(sender, "I've been feeling a bit down since my kyphoplasty, is that common?")
    assert "utter_emergency" not in assistant.bot_actions(sender)
    assert any("sorry you are feeling this way" in (r.get("text") or "") for r in replies)
    # the next not_covered question gets the ordinary wording again
    replies = assistant.replies(sender, "how much does kyphoplasty cost?")
    assert not any("feeling this way" in (r.get("text") or "") for r in replies)
