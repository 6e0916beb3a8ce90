"""ValidateScreeningForm and the outcome action, on rasa-sdk Trackers and a real database."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from actions.screening import ActionScreeningOutcome, ValidateScreeningForm, required_screening_slots
from bot.db.models import ScreeningResult
from tests.actions.helpers import run, DOMAIN, slot_events, tracker, uttered

FORM = ValidateScreeningForm()


def validate(slot: str, text: str, intent: str = "inform", slots=None, entities=None):
    dispatcher = CollectingDispatcher()
    filled = {**(slots or {}), "requested_slot": slot, slot: text}
    events = run(FORM.run(dispatcher, tracker(filled, text, intent, entities, extracted={slot: text}), DOMAIN))
    return slot_events(events), uttered(dispatcher)


def test_a_clear_answer_is_normalised_and_the_next_question_requested():
    slots, said = validate("fracture_found", "yep, 3 weeks ago", "affirm",
                                 slots={"screening_consent": "yes", "warning_signs": "no"})
    assert slots["fracture_found"] == "yes"
    assert said == []  # Rasa's form then asks the first empty slot: fracture_cause


def test_an_unclear_answer_is_asked_again_once_with_clearer_wording():
    slots, said = validate("fracture_cause", "purple", slots={"screening_consent": "yes",
                                 "warning_signs": "no", "fracture_found": "yes"})
    assert slots["fracture_cause"] is None
    assert slots["screening_clarify"] == "fracture_cause"
    assert said == ["utter_screening_not_understood"]


def test_a_second_unclear_answer_is_noted_as_not_sure_and_the_form_moves_on():
    slots, said = validate("fracture_cause", "purple again", slots={
        "screening_consent": "yes", "warning_signs": "no", "fracture_found": "yes",
        "screening_unclear": ["fracture_cause"], "screening_clarify": "fracture_cause"})
    assert slots["fracture_cause"] == "unknown"
    assert slots["screening_clarify"] is None
    assert slots["requested_slot"] == "pain_limits"
    assert said == ["utter_screening_noted_unsure"]


def test_what_does_mri_mean_is_explained_and_asked_again():
    slots, said = validate("mri_active", "what does that even mean", slots={
        "screening_consent": "yes", "warning_signs": "no", "fracture_found": "yes",
        "fracture_cause": "osteoporosis", "pain_limits": "yes"})
    assert said == ["utter_explain_mri"]
    assert slots["mri_active"] is None and "screening_clarify" not in slots


def test_a_warning_sign_gives_the_emergency_reply_at_once_and_ends_the_form():
    slots, said = validate("warning_signs", "yes, my legs went numb", "affirm",
                                 slots={"screening_consent": "yes"})
    assert said == ["utter_emergency"]
    assert slots["warning_signs"] == "yes"
    assert slots["requested_slot"] is None


def test_not_sure_about_warning_signs_asks_about_each_sign_instead_of_an_emergency_verdict():
    slots, said = validate("warning_signs", "not sure", "unsure", slots={"screening_consent": "yes"})
    assert said == []  # the clearer variation of utter_ask_warning_signs lists each sign
    assert slots["warning_signs"] is None and slots["screening_clarify"] == "warning_signs"


def test_still_not_sure_says_call_911_if_any_applies_and_goes_on():
    slots, said = validate("warning_signs", "dunno", "unsure", slots={
        "screening_consent": "yes", "screening_unclear": ["warning_signs"], "screening_clarify": "warning_signs"})
    assert said == ["utter_screening_warning_signs_unsure"]
    assert slots["warning_signs"] == "unsure" and slots["screening_clarify"] is None


def test_a_plain_no_to_the_warning_signs_goes_on_without_an_alarm():
    slots, said = validate("warning_signs", "n", "deny", slots={"screening_consent": "yes"})
    assert said == [] and slots["warning_signs"] == "no"


def test_declining_at_the_start_ends_the_form():
    slots, said = validate("screening_consent", "not now", "deny")
    assert slots["screening_consent"] == "no" and slots["requested_slot"] is None


def test_questions_adapt_to_the_answers():
    assert required_screening_slots({"fracture_found": "no"}) == [
        "screening_consent", "warning_signs", "fracture_found"]
    assert "osteoporosis_treated" not in required_screening_slots({"fracture_cause": "cancer"})
    assert "osteoporosis_treated" in required_screening_slots({"fracture_cause": "osteoporosis"})
    assert required_screening_slots({"warning_signs": "yes"}) == []


COMPLETE = {"screening_consent": "yes", "warning_signs": "no", "fracture_found": "yes",
            "fracture_cause": "osteoporosis", "pain_limits": "yes", "mri_active": "no_mri",
            "osteoporosis_treated": "no", "risk_conditions": "bleeding"}


def test_outcome_is_uttered_stored_and_a_callback_offered(database_url):
    dispatcher = CollectingDispatcher()
    events = run(ActionScreeningOutcome().run(
        dispatcher, tracker(COMPLETE, active_loop=None, sender_id="abc-123", channel="socketio"), DOMAIN))
    # one message for the outcome, its notes inside it (then the callback offer)
    assert uttered(dispatcher) == ["utter_screening_outcome_needs_mri", "utter_offer_callback"]
    notes = dispatcher.messages[0]["screening_notes"].split("\n")
    assert notes[0] == ""  # each note on a line of its own, under the main line
    assert [n[:30] for n in notes[1:]] == [
        DOMAIN["responses"][f"utter_screening_note_{name}"][0]["text"][:30] for name in ("bone_density", "risk_flag")]
    assert "\n\n" not in dispatcher.messages[0]["screening_notes"]  # channels split blank lines into bubbles
    slots = slot_events(events)
    assert slots["callback_offered"] is True
    assert all(slots[name] is None for name in COMPLETE)  # ready for a fresh start

    with Session(create_engine(database_url)) as session:
        row = session.execute(select(ScreeningResult)).scalar_one()
    assert row.id == slots["screening_id"]
    assert (row.conversation_id, row.channel, row.outcome) == ("abc-123", "socketio", "needs_mri")
    assert row.answers["risk_conditions"] == "bleeding"
    assert row.notes == ["bone_density", "risk_flag"] and row.flagged_for_care_team
    assert row.created_at is not None


def test_a_retried_outcome_turn_stores_one_result_and_a_new_run_another(database_url):
    """The same checklist run (same start event) twice: a crash after the result
    was stored but before Rasa saved the turn, then the patient's answer again."""
    first_run = tracker(COMPLETE, active_loop=None, sender_id="abc-9", form_started={"screening_form": 1700000000.5})
    ids = [slot_events(run(ActionScreeningOutcome().run(CollectingDispatcher(), first_run, DOMAIN)))["screening_id"]
           for _ in range(2)]
    assert ids[0] == ids[1]
    again = tracker(COMPLETE, active_loop=None, sender_id="abc-9",
                    form_started={"screening_form": 1700000000.5, "callback_form": 1700000100.0})
    assert slot_events(run(ActionScreeningOutcome().run(CollectingDispatcher(), again, DOMAIN)))["screening_id"] == ids[0]
    second_run = tracker(COMPLETE, active_loop=None, sender_id="abc-9", form_started={"screening_form": 1700000500.0})
    other = slot_events(run(ActionScreeningOutcome().run(CollectingDispatcher(), second_run, DOMAIN)))["screening_id"]
    assert other != ids[0]
    with Session(create_engine(database_url)) as session:
        assert len(session.execute(select(ScreeningResult)).all()) == 2


def test_a_warning_sign_the_validator_did_not_see_still_gets_the_emergency_reply(database_url):
    """Rasa skips the form's validation for a "yes" right after a question that
    interrupted the checklist; the outcome then gives the emergency reply itself."""
    dispatcher = CollectingDispatcher()
    answered = tracker({"screening_consent": "yes", "warning_signs": "yes"}, "yes", "affirm", active_loop=None)
    run(ActionScreeningOutcome().run(dispatcher, answered, DOMAIN))
    assert uttered(dispatcher) == ["utter_emergency"]


def test_the_emergency_reply_is_not_repeated_when_the_validator_gave_it(database_url):
    dispatcher = CollectingDispatcher()
    answered = tracker({"screening_consent": "yes", "warning_signs": "yes"}, "yes", "affirm", active_loop=None)
    answered.events.append({"event": "bot", "text": "Call 911", "metadata": {"utter_action": "utter_emergency"}})
    run(ActionScreeningOutcome().run(dispatcher, answered, DOMAIN))
    assert "utter_emergency" not in uttered(dispatcher)


def test_a_declined_checklist_is_not_stored(database_url):
    dispatcher = CollectingDispatcher()
    run(ActionScreeningOutcome().run(dispatcher, tracker({"screening_consent": "no"}, active_loop=None), DOMAIN))
    assert uttered(dispatcher) == ["utter_screening_declined"]
    with Session(create_engine(database_url)) as session:
        assert session.execute(select(ScreeningResult)).first() is None


def test_a_database_failure_gets_a_polite_reply_and_logs_no_answers(monkeypatch, tmp_path, caplog):
    from bot.db import session as db_session
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/no-tables.db")  # never migrated
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()
    dispatcher = CollectingDispatcher()
    events = run(ActionScreeningOutcome().run(dispatcher, tracker(COMPLETE, active_loop=None), DOMAIN))
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()
    assert "utter_screening_not_saved" in uttered(dispatcher)
    assert "utter_offer_callback" not in uttered(dispatcher)
    assert "screening_id" not in slot_events(events)
    logged = caplog.text.lower()
    assert "could not store" in logged
    assert "bleeding" not in logged and "osteoporosis" not in logged
