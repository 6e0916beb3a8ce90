"""The callback request: validation and storage only with consent."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from actions.callback import ActionSaveCallback, ValidateCallbackForm, clean_name, clean_phone
from bot.db.models import CallbackRequest
from tests.actions.helpers import run, DOMAIN, slot_events, tracker, uttered


@pytest.mark.parametrize("text, name", [
    ("Mary Smith", "Mary Smith"), ("my name is José O'Neil-Díaz", "José O'Neil-Díaz"),
    ("it's Bob", "Bob"), ("x", None), ("555 1234", None), ("<script>alert(1)</script>", None), ("a" * 100, None),
])
def test_names(text, name):
    assert clean_name(text) == name


@pytest.mark.parametrize("text, phone", [
    ("555-201-4477", None),  # 555-01xx are the only fictional US numbers; 555-201 is not valid
    ("(212) 555-0143", "+12125550143"),
    ("call me at 212-736-5000", "+12127365000"), ("+44 20 7946 0958", "+442079460958"),
    ("twelve", None), ("", None),
])
def test_phone_numbers(text, phone):
    assert clean_phone(text, "US") == phone


def test_invalid_phone_is_asked_again():
    dispatcher = CollectingDispatcher()
    events = run(ValidateCallbackForm().run(
        dispatcher, tracker({"callback_name": "Mary", "requested_slot": "callback_phone",
                             "callback_phone": "not a number"}, "not a number", active_loop="callback_form",
                             extracted={"callback_phone": "not a number"}),
        DOMAIN))
    assert slot_events(events)["callback_phone"] is None
    assert uttered(dispatcher) == ["utter_invalid_callback_phone"]


def test_a_retried_callback_turn_stores_one_request(database_url):
    slots = {"callback_name": "Mary Smith", "callback_phone": "+12127365000", "callback_consent": "yes"}
    retried = tracker(slots, active_loop=None, sender_id="conv-10", form_started={"callback_form": 1700000000.0})
    for _ in range(3):
        dispatcher = CollectingDispatcher()
        run(ActionSaveCallback().run(dispatcher, retried, DOMAIN))
        assert uttered(dispatcher) == ["utter_callback_saved", "utter_handoff"]
    with Session(create_engine(database_url)) as session:
        assert len(session.execute(select(CallbackRequest)).all()) == 1


def test_callback_is_stored_with_consent_and_confirmed_with_handoff(database_url):
    dispatcher = CollectingDispatcher()
    slots = {"callback_name": "Mary Smith", "callback_phone": "+12127365000", "callback_consent": "yes"}
    events = run(ActionSaveCallback().run(dispatcher, tracker(slots, active_loop=None, sender_id="conv-9"), DOMAIN))
    assert uttered(dispatcher) == ["utter_callback_saved", "utter_handoff"]
    assert slot_events(events)["callback_phone"] is None  # not kept in the conversation state
    with Session(create_engine(database_url)) as session:
        row = session.execute(select(CallbackRequest)).scalar_one()
    assert (row.name, row.phone, row.consent, row.status) == ("Mary Smith", "+12127365000", True, "open")
    assert row.conversation_id == "conv-9"


def test_nothing_is_stored_without_consent(database_url):
    dispatcher = CollectingDispatcher()
    slots = {"callback_name": "Mary Smith", "callback_phone": "+12127365000", "callback_consent": "no"}
    run(ActionSaveCallback().run(dispatcher, tracker(slots, active_loop=None), DOMAIN))
    assert uttered(dispatcher) == ["utter_callback_declined"]
    with Session(create_engine(database_url)) as session:
        assert session.execute(select(CallbackRequest)).first() is None


def test_a_conversation_cannot_fill_the_callback_queue(database_url):
    slots = {"callback_name": "Mary Smith", "callback_phone": "+12127365000", "callback_consent": "yes"}
    for attempt in range(4):  # four separate requests, each its own callback form
        dispatcher = CollectingDispatcher()
        started = {"callback_form": 1700000000.0 + attempt}
        run(ActionSaveCallback().run(
            dispatcher, tracker(slots, active_loop=None, sender_id="conv-flood", form_started=started), DOMAIN))
        expected = ["utter_callback_saved", "utter_handoff"] if attempt < 3 else ["utter_callback_already_requested"]
        assert uttered(dispatcher) == expected
    # a retried turn of a stored request is still its own confirmation, not a refusal
    dispatcher = CollectingDispatcher()
    retried = tracker(slots, active_loop=None, sender_id="conv-flood", form_started={"callback_form": 1700000000.0})
    run(ActionSaveCallback().run(dispatcher, retried, DOMAIN))
    assert uttered(dispatcher) == ["utter_callback_saved", "utter_handoff"]
    with Session(create_engine(database_url)) as session:
        assert len(session.execute(select(CallbackRequest)).all()) == 3
