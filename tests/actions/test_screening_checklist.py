"""The checklist for older patients: progress, "go back", whom it is about,
and the questions' wording chosen from the domain's variations."""
from __future__ import annotations

import pytest
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa_sdk.executor import CollectingDispatcher

from actions.about_person import about_whom, read_person, user_texts_newest_first
from actions.screening import (QUESTIONS, ActionScreeningGoBack, ActionStartScreening, ValidateScreeningForm,
                               question_path)
from tests.actions.helpers import DOMAIN, run, slot_events, tracker, uttered

FORM = ValidateScreeningForm()
STARTED = {"screening_consent": "yes"}


def answer(slot: str, text: str, intent: str, slots: dict):
    dispatcher = CollectingDispatcher()
    filled = {**slots, "requested_slot": slot, slot: text}
    events = run(FORM.run(dispatcher, tracker(filled, text, intent, extracted={slot: text}), DOMAIN))
    return slot_events(events), uttered(dispatcher)


# --- progress

def test_each_question_comes_with_its_number_and_the_length_of_this_path():
    # Rasa's form asks the first empty slot next: the warning signs, then whether a fracture was found
    slots, _ = answer("screening_consent", "yes", "affirm", {})
    assert (slots["screening_step"], slots["screening_total"]) == (1, 7)
    slots, _ = answer("warning_signs", "no", "deny", STARTED)
    assert (slots["screening_step"], slots["screening_total"]) == (2, 7)


def test_the_total_follows_the_path_the_answers_lead_down():
    before = {**STARTED, "warning_signs": "no", "fracture_found": "yes"}
    slots, _ = answer("fracture_cause", "I fell off a ladder", "inform", before)
    # not osteoporosis: the bone treatment question is not asked, 6 questions in all
    assert (slots["requested_slot"], slots["screening_step"], slots["screening_total"]) == ("pain_limits", 4, 6)
    assert question_path({**before, "fracture_cause": "osteoporosis"}) == QUESTIONS


def test_an_unclear_answer_asks_the_same_numbered_question_again():
    slots, _ = answer("fracture_found", "purple", "inform", {**STARTED, "warning_signs": "no"})
    assert slots["fracture_found"] is None
    assert (slots["screening_step"], slots["screening_total"]) == (2, 7)


def test_the_last_answer_ends_the_form_without_a_number():
    done = {**STARTED, "warning_signs": "no", "fracture_found": "yes", "fracture_cause": "cancer",
            "pain_limits": "yes", "mri_active": "yes"}
    slots, _ = answer("risk_conditions", "none of these", "inform", done)
    assert slots["requested_slot"] is None and "screening_step" not in slots


# --- go back

def go_back(slots: dict, asking: str, active_loop="screening_form"):
    dispatcher = CollectingDispatcher()
    events = run(ActionScreeningGoBack().run(
        dispatcher, tracker({**slots, "requested_slot": asking}, "go back", "go_back", active_loop=active_loop),
        DOMAIN))
    return slot_events(events), uttered(dispatcher)


def test_go_back_clears_the_previous_answer_and_asks_it_again_with_its_number():
    answered = {**STARTED, "warning_signs": "no", "fracture_found": "yes", "fracture_cause": "injury",
                "screening_unclear": ["fracture_cause", "fracture_found"]}
    slots, said = go_back(answered, "pain_limits")
    assert said == ["utter_screening_going_back"]
    assert slots["fracture_cause"] is None and slots["requested_slot"] == "fracture_cause"
    assert slots["screening_unclear"] == ["fracture_found"]  # a fresh try, the plain wording first
    assert (slots["screening_step"], slots["screening_total"]) == (3, 7)
    assert "fracture_found" not in slots  # only the previous answer changes


def test_go_back_skips_a_question_this_path_did_not_ask():
    answered = {**STARTED, "warning_signs": "no", "fracture_found": "yes", "fracture_cause": "cancer",
                "pain_limits": "yes", "mri_active": "yes"}
    slots, _ = go_back(answered, "risk_conditions")  # the bone treatment question was never asked
    assert slots["mri_active"] is None and slots["requested_slot"] == "mri_active"
    assert (slots["screening_step"], slots["screening_total"]) == (5, 6)


def test_at_the_first_question_there_is_nothing_to_go_back_to():
    for asking in ("warning_signs", "screening_consent"):
        slots, said = go_back({**STARTED}, asking)
        assert said == ["utter_screening_nothing_to_go_back"] and slots == {}


def test_outside_the_checklist_go_back_says_so_and_changes_nothing():
    # the emergency verdict ended the checklist: going back cannot undo it
    slots, said = go_back({**STARTED, "warning_signs": "yes"}, None, active_loop=None)
    assert said == ["utter_screening_go_back_outside"] and slots == {}


# --- whom the checklist is about

@pytest.mark.parametrize("text, person", [
    ("is kyphoplasty right for my mom?", "mom"),
    ("My 82-year-old father broke a bone in his back", "father"),
    ("I'm asking for my husband, could this help him", "husband"),
    ("would it suit my wife", "wife"),
    ("my mother-in-law has osteoporosis, is this for her", "mother-in-law"),
    ("I'm helping my elderly mum with this", "mum"),
    ("my dad is 79, would kyphoplasty work for him", "dad"),
    ("Could my son have it done?", "son"),
    ("my daughter fell and hurt her spine", "daughter"),
    ("my friend has a collapsed vertebra", "friend"),
    ("my mom's doctor says she has a fracture", "mom"),
])
def test_a_caregiver_s_words_name_the_person(text, person):
    assert read_person(text) == person


@pytest.mark.parametrize("text", ["could kyphoplasty help me", "my back hurts, would this work for me",
                                  "is this for me", "I have a fracture"])
def test_someone_asking_for_themselves_is_not_taken_for_a_caregiver(text):
    assert not read_person(text)


def test_the_newest_message_that_says_whom_decides_and_button_payloads_say_nothing():
    assert about_whom(["/screening", "could it help", "my dad broke his back"][1:]) == "dad"
    assert about_whom(["is it for me", "my dad broke his back"]) is None  # they now ask for themselves
    assert about_whom(["what is it"] * 8 + ["my dad broke his back"]) is None  # too long ago
    events = [{"event": "user", "text": "my wife fell"}, {"event": "session_started"},
              {"event": "user", "text": "hi"}, {"event": "user", "text": "/screening"}]
    assert user_texts_newest_first(events) == ["hi"]  # this session's typed messages only


def test_starting_the_checklist_sets_whom_it_is_about():
    started = tracker({"fracture_found": "yes", "screening_step": 3}, "is kyphoplasty an option for my mother",
                      "screening", active_loop=None)
    slots = slot_events(run(ActionStartScreening().run(CollectingDispatcher(), started, DOMAIN)))
    assert (slots["about_person"], slots["checklist_for"]) == ("mother", "someone_else")
    assert slots["fracture_found"] is None and slots["screening_step"] is None
    for_me = tracker({}, "could it help me", "screening", active_loop=None)
    slots = slot_events(run(ActionStartScreening().run(CollectingDispatcher(), for_me, DOMAIN)))
    assert (slots["about_person"], slots["checklist_for"]) == (None, "self")


# --- the wording Rasa will pick: exactly one variation for every state, never a random one

def chosen(response: str, clarify=None, checklist_for="self"):
    slots = {"screening_clarify": clarify, "checklist_for": checklist_for}
    variations = ResponseVariationFilter(DOMAIN["responses"]).responses_for_utter_action(response, "socketio", slots)
    assert len(variations) == 1, (response, clarify, checklist_for, variations)
    return variations[0]["text"]


@pytest.mark.parametrize("slot", QUESTIONS)
def test_every_question_has_one_wording_for_each_state_with_its_number(slot):
    response = f"utter_ask_{slot}"
    for clarify in (None, slot):
        mine = chosen(response, clarify, "self")
        theirs = chosen(response, clarify, "someone_else")
        for text in (mine, theirs):
            assert text.startswith("Question {screening_step} of {screening_total}.")
        assert "{about_person}" in theirs and "{about_person}" not in mine
        assert " you have" not in theirs.lower() and "your spine" not in theirs and "your legs" not in theirs
    assert chosen(response, None, "self") != chosen(response, slot, "self")  # the clearer re-ask


def test_the_first_question_has_no_go_back_button_and_the_others_do():
    def payloads(slot):
        return [b["payload"] for v in DOMAIN["responses"][f"utter_ask_{slot}"] for b in v["buttons"]]
    assert "/go_back" not in payloads("warning_signs")
    for slot in QUESTIONS[1:]:
        assert all(v["buttons"][-1]["payload"] == "/go_back" for v in DOMAIN["responses"][f"utter_ask_{slot}"])


def test_the_consent_question_names_the_person():
    assert "your {about_person}" in chosen("utter_ask_screening_consent", None, "someone_else")
    assert "{about_person}" not in chosen("utter_ask_screening_consent", None, "self")


def test_a_message_that_answers_nothing_sets_no_slot_so_the_form_rejects_it():
    """Any slot event would make Rasa's form take a question in between for an answer."""
    dispatcher = CollectingDispatcher()
    asked = {**STARTED, "warning_signs": "no", "requested_slot": "fracture_found",
             "screening_step": 2, "screening_total": 7}
    events = run(FORM.run(dispatcher, tracker(asked, "how long is recovery?", "recovery"), DOMAIN))
    assert [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"] == []
