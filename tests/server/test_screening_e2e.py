"""The checklist end to end over the REST channel, and the row staff will see."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.db.models import CallbackRequest, ScreeningResult
from tests.server.conftest import new_sender

pytestmark = pytest.mark.server


def test_complete_checklist_and_callback_are_stored(assistant):
    sender = new_sender()
    steps = [
        ("could kyphoplasty help my compression fracture?", "utter_ask_screening_consent"),
        ("/affirm", "utter_ask_warning_signs"),
        ("no, none of those", "utter_ask_fracture_found"),
        ("yes, 3 weeks ago", "utter_ask_fracture_cause"),
        ('/inform{"choice": "osteoporosis"}', "utter_ask_pain_limits"),
        ("yes it hurts a lot and I can barely walk", "utter_ask_mri_active"),
        ("what does that mean?", "utter_ask_mri_active"),
        ("the mri said it's a new fracture", "utter_ask_osteoporosis_treated"),
        ("not really", "utter_ask_risk_conditions"),
        ("I take eliquis", "utter_offer_callback"),
        ("yes please", "utter_ask_callback_name"),
        ("Mary Smith", "utter_ask_callback_phone"),
        ("212-736-5000", "utter_ask_callback_consent"),
        ("yes I agree", "utter_handoff"),
    ]
    said = {}
    for text, expected_last in steps:
        said[text] = assistant.replies(sender, text)
        assert assistant.bot_actions(sender)[-1] == expected_last, (text, assistant.bot_actions(sender)[-4:])

    actions = assistant.bot_actions(sender)
    assert "utter_explain_mri" in actions
    # the outcome is one message, its main line first and its notes under it, then the callback offer
    outcome, offer = said["I take eliquis"]
    lines = outcome["text"].split("\n")
    assert lines[0].startswith("Your answers match the cases where kyphoplasty is often used.")
    assert "low bone density" in lines[1] and "flagged it for the care team" in lines[2]
    assert "{" not in outcome["text"] and offer["text"].startswith("Would you like someone")
    assert not [action for action in actions if action.startswith("utter_screening_note_")]
    assert actions[-10:].count("utter_screening_outcome_commonly_considered") == 1

    with Session(create_engine(assistant.database_url)) as session:
        screening = session.execute(
            select(ScreeningResult).where(ScreeningResult.conversation_id == sender)).scalar_one()
        callback = session.execute(
            select(CallbackRequest).where(CallbackRequest.conversation_id == sender)).scalar_one()
    assert screening.outcome == "commonly_considered" and screening.channel == "rest"
    assert screening.answers["risk_conditions"] == "bleeding" and screening.flagged_for_care_team
    assert (callback.name, callback.phone, callback.screening_id) == ("Mary Smith", "+12127365000", screening.id)


def test_faq_and_why_mid_checklist_then_stop(assistant):
    sender = new_sender()
    for text in ["am I a candidate for kyphoplasty", "yes", "no"]:
        assistant.replies(sender, text)
    assistant.replies(sender, "wait, how long is recovery after kyphoplasty?")
    assert assistant.bot_actions(sender)[-2:] == ["utter_recovery/timeline", "utter_ask_fracture_found"]
    assistant.replies(sender, "why do you need to know that?")
    assert assistant.bot_actions(sender)[-2:] == ["utter_screening_why", "utter_ask_fracture_found"]
    assistant.replies(sender, "stop the checklist please")
    assert assistant.bot_actions(sender)[-1] == "utter_screening_stopped"
    assistant.replies(sender, "what is kyphoplasty")
    assert assistant.bot_actions(sender)[-1] == "utter_about/what_is"


def test_yes_to_the_warning_signs_right_after_an_interruption_gets_the_emergency_reply(assistant):
    """A blind dialogue found this: an unclear answer, a question in between,
    then "yes" to the warning signs got no reply at all."""
    sender = new_sender()
    for text in ["lets see if kyphoplasty would work for me", "mhm", "since easter", "how long does recovery take"]:
        assistant.replies(sender, text)
    assert assistant.bot_actions(sender)[-1] == "utter_ask_warning_signs"
    replies = assistant.replies(sender, "yes")
    assert replies, "every message gets a reply"
    assert assistant.bot_actions(sender)[-1] == "utter_emergency"
    assert assistant.bot_actions(sender).count("utter_emergency") == 1


def test_emergency_mid_checklist_comes_first_and_ends_it(assistant):
    sender = new_sender()
    for text in ["could this help me", "yes", "no"]:
        assistant.replies(sender, text)
    replies = assistant.replies(sender, "my legs just went numb and I can't stand up")
    assert assistant.bot_actions(sender)[-1] == "utter_emergency"
    assert "911" in replies[0]["text"]
    assistant.replies(sender, "how long is recovery")
    assert assistant.bot_actions(sender)[-1] == "utter_recovery/timeline"


def test_messy_answers_are_understood_and_nothing_loops(assistant):
    sender = new_sender()
    for text in ["would kyphoplasty work for my mom", "yeah sure", "nope", "I think so"]:
        assistant.replies(sender, text)
    assistant.replies(sender, "purple elephants")
    assistant.replies(sender, "bananas")  # unclear twice: noted as not sure, moves on
    actions = assistant.bot_actions(sender)
    assert actions.count("utter_screening_not_understood") == 1
    assert "utter_screening_noted_unsure" in actions
    assert actions[-1] == "utter_ask_pain_limits"


def texts(replies):
    return [reply.get("text") or "" for reply in replies]


def test_a_caregiver_is_asked_about_their_person_with_progress_and_can_go_back(assistant):
    sender = new_sender()
    asked = texts(assistant.replies(sender, "could kyphoplasty help my mom with her compression fracture?"))
    assert assistant.bot_actions(sender)[-1] == "utter_ask_screening_consent"
    assert "a short checklist about your mom" in asked[-1]

    def step(text, action, starts):
        last = texts(assistant.replies(sender, text))[-1]
        assert assistant.bot_actions(sender)[-1] == action, (text, assistant.bot_actions(sender)[-3:])
        assert last.startswith(starts), (text, last)
        assert "{" not in last
        return last

    assert "Does your mom have new weakness" in step("/affirm", "utter_ask_warning_signs", "Question 1 of 7.")
    # at the first question there is nothing to go back to
    step("go back", "utter_ask_warning_signs", "Question 1 of 7.")
    assert assistant.bot_actions(sender)[-2] == "utter_screening_nothing_to_go_back"
    assert "your mom's spine" in step("no", "utter_ask_fracture_found", "Question 2 of 7.")
    step("yes", "utter_ask_fracture_cause", "Question 3 of 7.")
    # typed "go back": the previous question again, its answer cleared
    step("I made a mistake", "utter_ask_fracture_found", "Question 2 of 7.")
    assert assistant.bot_actions(sender)[-2] == "utter_screening_going_back"
    step("yes", "utter_ask_fracture_cause", "Question 3 of 7.")
    step('/inform{"choice": "osteoporosis"}', "utter_ask_pain_limits", "Question 4 of 7.")
    # the "Go back" button: the cause again; a fall leaves out the bone treatment question
    step("/go_back", "utter_ask_fracture_cause", "Question 3 of 7.")
    step('/inform{"choice": "injury"}', "utter_ask_pain_limits", "Question 4 of 6.")
    step("yes", "utter_ask_mri_active", "Question 5 of 6.")
    step('/inform{"choice": "no_mri"}', "utter_ask_risk_conditions", "Question 6 of 6.")
    step('/inform{"choice": "none"}', "utter_offer_callback", "Would you like")
    assert "utter_screening_outcome_needs_mri" in assistant.bot_actions(sender)[-2:]

    # after the outcome, "go back" changes nothing and says so
    assistant.replies(sender, "go back")
    assert assistant.bot_actions(sender)[-1] == "utter_screening_go_back_outside"
    with Session(create_engine(assistant.database_url)) as session:
        screening = session.execute(
            select(ScreeningResult).where(ScreeningResult.conversation_id == sender)).scalar_one()
    assert screening.outcome == "needs_mri"
    assert screening.answers["fracture_cause"] == "injury" and "osteoporosis_treated" not in screening.answers
