"""The outside contract of ../shared/answer-catalogue.md, over a real server.

A question goes to the REST channel; the tracker, read through Rasa's HTTP API
with the auth token, must show the answer id or reply kind in
`metadata.utter_action` of the bot events, exactly as an outside client reads it.
"""
from __future__ import annotations

import pytest
import requests

from tests.project import contract_answer_ids, contract_reply_kinds
from tests.server.conftest import new_sender

# One plain question per answer id and reply kind. The held-out NLU set measures
# understanding; these only need to be unambiguous.
QUESTIONS = {
    "about/what_is": "What is kyphoplasty?",
    "about/goals": "What is the goal of kyphoplasty?",
    "procedure/overview": "What are the steps of a kyphoplasty procedure?",
    "procedure/anesthesia": "Will I be asleep during kyphoplasty or just numbed?",
    "procedure/access": "How does the surgeon get the tube into the broken vertebra?",
    "procedure/balloon": "What does the balloon do in kyphoplasty?",
    "procedure/cement": "What is the bone cement made of?",
    "recovery/timeline": "How long does recovery take after kyphoplasty?",
    "recovery/pain_relief": "Will kyphoplasty relieve my pain quickly?",
    "recovery/success_rate": "What is the success rate of kyphoplasty?",
    "eligibility/indications": "What kinds of fractures is kyphoplasty used for?",
    "eligibility/mri": "Why is an MRI needed before kyphoplasty?",
    "eligibility/not_suitable": "Who should not have kyphoplasty?",
    "eligibility/bone_density": "What happens if my osteoporosis is not treated after kyphoplasty?",
    "eligibility/older_patients": "Is kyphoplasty too risky for a frail 90 year old?",
    "risks/overview": "What are the risks of kyphoplasty?",
    "risks/cement_leakage": "What if the cement leaks out?",
    "risks/not_treating": "What happens if I don't treat the fracture at all?",
    "emergency": "I had kyphoplasty and now my legs are numb and weak",
    "not_covered": "How much does kyphoplasty cost with my insurance?",
    "out_of_scope": "Can you give me a recipe for banana bread?",
    "handoff": "I want to talk to a real person",
    "chitchat": "Hello there",
    "screening": "Could kyphoplasty help me with my compression fracture?",
}


def test_every_contract_id_and_kind_has_a_question():
    assert set(contract_answer_ids()) | set(contract_reply_kinds()) == set(QUESTIONS)


def expected_action(label: str) -> str:
    if "/" in label:
        return f"utter_{label}"
    return {"chitchat": "utter_chitchat/greet"}.get(label, f"utter_{label}")


@pytest.mark.server
@pytest.mark.parametrize("label", sorted(set(QUESTIONS) - {"screening"}))
def test_answer_or_kind_is_readable_from_the_tracker(assistant, label):
    sender = new_sender()
    replies = assistant.replies(sender, QUESTIONS[label])
    actions = assistant.bot_actions(sender)
    assert actions[0] == expected_action(label)
    assert replies[0]["text"]
    # first reply of the conversation: the general-information disclaimer follows
    assert actions[1:] == ["utter_disclaimer"]


@pytest.mark.server
def test_screening_kind_shows_as_an_active_loop_event(assistant):
    sender = new_sender()
    replies = assistant.replies(sender, QUESTIONS["screening"])
    events = assistant.tracker(sender)["events"]
    loops = [e["name"] for e in events if e["event"] == "active_loop"]
    assert loops == ["screening_form"]
    assert assistant.bot_actions(sender) == ["utter_ask_screening_consent"]
    assert "not a diagnosis" in replies[0]["text"]
    assert [b["title"] for b in replies[0]["buttons"]] == ["Yes, let's start", "Not now"]


@pytest.mark.server
def test_tracker_needs_the_token(assistant):
    sender = new_sender()
    assistant.replies(sender, "What is kyphoplasty?")
    response = requests.get(f"{assistant.url}/conversations/{sender}/tracker", timeout=10)
    assert response.status_code == 401


@pytest.mark.server
def test_disclaimer_comes_once_and_emergency_comes_first(assistant):
    sender = new_sender()
    assistant.replies(sender, "my dad fell an hour ago and is screaming in pain, what do we do")
    assistant.replies(sender, "What is kyphoplasty?")
    assistant.replies(sender, "How long is recovery?")
    assert assistant.bot_actions(sender) == [
        "utter_emergency", "utter_disclaimer", "utter_about/what_is", "utter_recovery/timeline"]


@pytest.mark.server
def test_emergency_wins_inside_another_question_mid_conversation(assistant):
    sender = new_sender()
    assistant.replies(sender, "What is kyphoplasty?")
    replies = assistant.replies(sender, "how long is recovery, also I can't breathe and have chest pain")
    assert assistant.bot_actions(sender)[-1] == "utter_emergency"
    assert "911" in replies[0]["text"]


@pytest.mark.server
def test_crisis_language_gets_the_crisis_line(assistant):
    sender = new_sender()
    replies = assistant.replies(sender, "I can't go on anymore, I want to end my life")
    assert assistant.bot_actions(sender)[0] == "utter_emergency"
    assert "988" in replies[0]["text"]


@pytest.mark.server
def test_handoff_gives_the_configured_care_team_contact(assistant):
    sender = new_sender()
    replies = assistant.replies(sender, "can I speak to a nurse please")
    assert assistant.bot_actions(sender)[0] == "utter_handoff"
    assert "(212) 736-5000" in replies[0]["text"] and "weekdays 8 to 5" in replies[0]["text"]


@pytest.mark.server
def test_catalogue_answer_carries_no_invented_text(assistant):
    """The text sent is the catalogue's own text for that answer id."""
    from tests.project import catalogue_responses

    sender = new_sender()
    replies = assistant.replies(sender, QUESTIONS["recovery/timeline"])
    expected = " ".join(catalogue_responses()["utter_recovery/timeline"]["text"].split())
    assert " ".join(replies[0]["text"].split()) == expected
